#!/usr/bin/env python3
"""ClickHouse's own HTTP interface, served by the engine chDB ships (libchdb.so, from the npm package
@chdb/lib-linux-x64-gnu that `npm install` puts in node_modules), for testing Plantline's server mode
(CLICKHOUSE_URL) on a machine without a ClickHouse server package.

libchdb runs clickhouse-local. Given --http_port, its `SYSTEM START LISTEN HTTP` opens ClickHouse's
HTTP handler on that port for as long as the statement it was started with runs, so this starts it
with a statement that sleeps until the process is stopped.

usage: LIBCHDB=/path/to/libchdb.so python3 http-server.py --path=DATA_DIR --http_port=PORT --listen_host=127.0.0.1
Stops on SIGTERM, and by itself when the process that started it is gone."""
import ctypes
import os
import sys
import threading
import time

lib = ctypes.CDLL(os.environ["LIBCHDB"])


class Result(ctypes.Structure):
    _fields_ = [("buf", ctypes.c_char_p), ("len", ctypes.c_size_t), ("_vec", ctypes.c_void_p),
                ("elapsed", ctypes.c_double), ("rows_read", ctypes.c_uint64),
                ("bytes_read", ctypes.c_uint64), ("error_message", ctypes.c_char_p)]


lib.query_stable_v2.restype = ctypes.POINTER(Result)

parent = os.getppid()


def watch_parent():
    # an orphaned server would hold its port and folder: stop when the test process is gone
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


threading.Thread(target=watch_parent, daemon=True).start()

query = ("SYSTEM START LISTEN HTTP; "
         "SELECT sleepEachRow(1) FROM numbers(1000000000000) "
         "SETTINGS max_block_size = 1, max_threads = 1, max_execution_time = 0 FORMAT Null")
args = [b"clickhouse"] + [a.encode() for a in sys.argv[1:]] + [b"--query=" + query.encode()]
result = lib.query_stable_v2(len(args), (ctypes.c_char_p * len(args))(*args))
error = result and result.contents.error_message
sys.stderr.write((error.decode() if error else "the server stopped") + "\n")
sys.exit(1)
