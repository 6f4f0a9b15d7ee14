/**
 * A real, single-node Apache Kafka broker (KRaft mode, no ZooKeeper, no Docker)
 * for Plantline's tests and benchmarks.
 *
 *   const kafka = await startKafkaBroker({ partitions: 4 });
 *   try { ... new Kafka({ brokers: [kafka.brokers] }) ... } finally { await kafka.stop(); }
 *
 * The broker jars come from Maven Central via test/support/kafka/fetch-jars.sh
 * (cached in $PLANTLINE_KAFKA_HOME or <repo>/.cache/kafka-<version>/libs; the first
 * run takes ~25 s, later ones nothing). Each broker runs `java kafka.Kafka` in its own
 * temp dir with loopback-only listeners on free ports; stop() kills it and deletes
 * the temp dir. If the Node process exits without stop(), an 'exit' hook kills the
 * broker, and a tiny watchdog kills it too if Node itself is SIGKILLed.
 *
 * Environment:
 *   PLANTLINE_KAFKA_VERSION    Kafka version (default 3.9.1; 4.1.1 also passes with kafkajs 2.2.4)
 *   PLANTLINE_KAFKA_HOME       folder holding the broker jars (default <repo>/.cache/kafka-<v>/libs)
 *   PLANTLINE_KAFKA_KEEP_LOGS  =1 keeps the temp dir (data + logs) after stop() for debugging
 *   JAVA_HOME                  Java 17+ to use (default: `java` on PATH)
 */
import { spawn, spawnSync, execFile, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";

export const KAFKA_VERSION = process.env.PLANTLINE_KAFKA_VERSION || "3.9.1";

export interface KafkaBroker {
  /** bootstrap address, "127.0.0.1:PORT" */
  brokers: string;
  /** folder with the broker's logs (server.log, broker.out); deleted by stop() */
  logDir: string;
  /** the broker JVM's process id (benchmarks read its CPU time) */
  pid: number;
  stop(): Promise<void>;
}

export interface StartKafkaBrokerOptions {
  /** num.partitions for auto-created topics (default 4) */
  partitions?: number;
  /** how long to wait for the broker to serve requests (default 60 000 ms) */
  timeoutMs?: number;
  /** JVM max heap (default "768m") */
  heap?: string;
  /** extra / overriding server.properties entries */
  serverProperties?: Record<string, string | number | boolean>;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, "../..");
const FETCH_SCRIPT = path.join(HERE, "kafka", "fetch-jars.sh");

/** Folder holding the broker jars (same rule as fetch-jars.sh). */
export function kafkaLibsDir(): string {
  return process.env.PLANTLINE_KAFKA_HOME || path.join(REPO_ROOT, ".cache", `kafka-${KAFKA_VERSION}`, "libs");
}

/** Runs fetch-jars.sh unless the jars are already cached. Synchronous; throws on failure. */
export function ensureKafkaJars(): string {
  const libs = kafkaLibsDir();
  if (fs.existsSync(path.join(libs, `.complete-${KAFKA_VERSION}`))) return libs;
  const res = spawnSync("bash", [FETCH_SCRIPT], {
    encoding: "utf8",
    env: { ...process.env, PLANTLINE_KAFKA_VERSION: KAFKA_VERSION },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 15 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (res.error || res.status !== 0) {
    const out = `${res.stdout ?? ""}\n${res.stderr ?? ""}`.trim();
    throw new Error(
      `Could not fetch the Apache Kafka ${KAFKA_VERSION} jars with Maven ` +
        `(bash ${path.relative(REPO_ROOT, FETCH_SCRIPT)} exited ${res.status ?? res.signal ?? res.error?.message}). ` +
        `Needs mvn + java 17 on PATH and Maven Central reachable.\n${tail(out, 4000)}`,
    );
  }
  if (!fs.existsSync(path.join(libs, `.complete-${KAFKA_VERSION}`))) {
    throw new Error(`fetch-jars.sh succeeded but ${libs} has no .complete-${KAFKA_VERSION} marker`);
  }
  return libs;
}

/** Creates topics (replication factor 1) and waits for their leaders; existing topics are left alone. */
export async function createTopics(
  brokers: string,
  topics: { topic: string; numPartitions: number }[],
): Promise<void> {
  const admin = new Kafka({ clientId: "plantline-test-admin", brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((t) => ({ topic: t.topic, numPartitions: t.numPartitions, replicationFactor: 1 })),
    });
  } finally {
    await admin.disconnect();
  }
}

export async function startKafkaBroker(opts: StartKafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const libs = ensureKafkaJars();
  // Free ports are picked then released, so another process can grab one before the
  // JVM binds it: retry with fresh ports on a bind failure.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(libs, opts);
    } catch (err) {
      if (attempt < 3 && err instanceof BindError) continue;
      throw err;
    }
  }
}

// ---------------------------------------------------------------------------

class BindError extends Error {}

interface Running {
  child: ChildProcess;
  watchdog?: ChildProcess;
  dir: string;
}
const running = new Set<Running>();
let exitHookInstalled = false;

function keepLogs(): boolean {
  return process.env.PLANTLINE_KAFKA_KEEP_LOGS === "1";
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const r of running) {
      killQuietly(r.child, "SIGKILL");
      if (r.watchdog) killQuietly(r.watchdog, "SIGKILL");
      if (!keepLogs()) fs.rmSync(r.dir, { recursive: true, force: true });
    }
    running.clear();
  });
}

function killQuietly(p: ChildProcess, sig: NodeJS.Signals): void {
  try {
    if (p.exitCode === null && p.signalCode === null) p.kill(sig);
  } catch {
    /* already gone */
  }
}

function javaBin(): string {
  const home = process.env.JAVA_HOME;
  if (home && fs.existsSync(path.join(home, "bin", "java"))) return path.join(home, "bin", "java");
  return "java";
}

/** Kafka-style random cluster id: 16 random bytes, base64url, never starting with '-'. */
function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const srv = net.createServer();
      servers.push(srv);
      await new Promise<void>((resolve, reject) => {
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => resolve());
      });
      ports.push((srv.address() as net.AddressInfo).port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

function tail(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : "…" + text.slice(text.length - maxChars);
}

function readTail(file: string, maxChars: number): string {
  try {
    const st = fs.statSync(file);
    const len = Math.min(st.size, maxChars);
    const buf = Buffer.alloc(len);
    const fd = fs.openSync(file, "r");
    try {
      fs.readSync(fd, buf, 0, len, st.size - len);
    } finally {
      fs.closeSync(fd);
    }
    return buf.toString("utf8");
  } catch {
    return "";
  }
}

function logTails(logDir: string): string {
  const parts: string[] = [];
  for (const f of ["broker.out", "server.log"]) {
    const t = readTail(path.join(logDir, f), 6000).trim();
    if (t) parts.push(`--- ${path.join(logDir, f)} (tail) ---\n${t}`);
  }
  return parts.join("\n") || "(no broker output)";
}

const OFFSETS_TOPIC_PARTITIONS = 4;

/** Java's String.hashCode, to mirror Kafka's groupId -> __consumer_offsets partition mapping. */
function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** One group id per __consumer_offsets partition (Kafka: Utils.abs(groupId.hashCode) % n). */
function groupIdsCoveringPartitions(n: number): string[] {
  const byPartition = new Map<number, string>();
  for (let i = 0; byPartition.size < n && i < 100_000; i++) {
    const id = `_plantline_ready_${i}`;
    const h = javaStringHash(id);
    const p = (h === -2147483648 ? 0 : Math.abs(h)) % n;
    if (!byPartition.has(p)) byPartition.set(p, id);
  }
  return [...byPartition.values()];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function serverProperties(o: {
  brokerPort: number;
  controllerPort: number;
  dataDir: string;
  partitions: number;
  extra?: Record<string, string | number | boolean>;
}): string {
  const props: Record<string, string | number | boolean> = {
    "process.roles": "broker,controller",
    "node.id": 1,
    "controller.quorum.voters": `1@127.0.0.1:${o.controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${o.brokerPort},CONTROLLER://127.0.0.1:${o.controllerPort}`,
    "advertised.listeners": `PLAINTEXT://127.0.0.1:${o.brokerPort}`,
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "PLAINTEXT",
    "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "log.dirs": o.dataDir,
    "num.partitions": o.partitions,
    "default.replication.factor": 1,
    "min.insync.replicas": 1,
    "auto.create.topics.enable": true,
    "delete.topic.enable": true,
    // Single node: internal topics with RF 1, and few partitions so that the first
    // consumer group / transaction doesn't wait for 50 partitions to be created.
    "offsets.topic.replication.factor": 1,
    "offsets.topic.num.partitions": OFFSETS_TOPIC_PARTITIONS,
    "transaction.state.log.replication.factor": 1,
    "transaction.state.log.min.isr": 1,
    "transaction.state.log.num.partitions": 4,
    "group.initial.rebalance.delay.ms": 0,
    // Small footprint on a 2-core test machine.
    "num.network.threads": 2,
    "num.io.threads": 4,
    "num.recovery.threads.per.data.dir": 1,
    "background.threads": 4,
    "log.cleaner.threads": 1,
    "log.cleaner.dedupe.buffer.size": 16 * 1024 * 1024, // default 128 MiB of heap
    // Test data is short-lived: smallish segments, short retention.
    "log.segment.bytes": 64 * 1024 * 1024,
    "log.retention.ms": 60 * 60 * 1000,
    "log.retention.check.interval.ms": 60 * 1000,
    "offsets.retention.minutes": 60,
    ...o.extra,
  };
  return (
    Object.entries(props)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n") + "\n"
  );
}

const LOG4J_PROPERTIES = `# Everything to \${kafka.logs.dir}/\${plantline.log.name}, nothing to stdout.
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=\${kafka.logs.dir}/\${plantline.log.name}
log4j.appender.file.Append=true
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.authorizer.logger=WARN
log4j.logger.org.apache.kafka.clients.NetworkClient=WARN
`;

function runJava(args: string[], cwd: string, timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(javaBin(), args, { cwd, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stdout, stderr }));
      else resolve({ stdout, stderr });
    });
  });
}

/**
 * Kills the broker if the Node process disappears without running its 'exit' hook
 * (SIGKILL, OOM kill, a test runner killing its worker). Polls once a second.
 */
function spawnWatchdog(brokerPid: number, dir: string): ChildProcess | undefined {
  const quotedDir = `'${dir.replace(/'/g, `'\\''`)}'`;
  const script = `
    while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done
    if kill -0 ${brokerPid} 2>/dev/null && grep -q kafka.Kafka /proc/${brokerPid}/cmdline 2>/dev/null; then
      kill -TERM ${brokerPid} 2>/dev/null
      for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 ${brokerPid} 2>/dev/null || break; sleep 0.5; done
      kill -KILL ${brokerPid} 2>/dev/null
    fi
    ${keepLogs() ? "" : `rm -rf ${quotedDir}`}`;
  try {
    const w = spawn("bash", ["-c", script], { detached: true, stdio: "ignore" });
    w.on("error", () => {});
    w.unref();
    return w;
  } catch {
    return undefined;
  }
}

async function startOnce(libs: string, opts: StartKafkaBrokerOptions): Promise<KafkaBroker> {
  const partitions = opts.partitions ?? 4;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const started = Date.now();
  const deadline = started + timeoutMs;

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plantline-kafka-"));
  const dataDir = path.join(dir, "data");
  const logDir = path.join(dir, "logs");
  fs.mkdirSync(dataDir);
  fs.mkdirSync(logDir);
  const [brokerPort, controllerPort] = await freePorts(2);
  const propsFile = path.join(dir, "server.properties");
  fs.writeFileSync(
    propsFile,
    serverProperties({ brokerPort, controllerPort, dataDir, partitions, extra: opts.serverProperties }),
  );
  const log4jFile = path.join(dir, "log4j.properties");
  fs.writeFileSync(log4jFile, LOG4J_PROPERTIES);

  const classpath = `${libs}/*`;
  const commonJvm = [
    "-Djava.awt.headless=true",
    `-Dlog4j.configuration=file:${log4jFile}`,
    `-Dkafka.logs.dir=${logDir}`,
  ];
  const cleanupDir = () => {
    if (!keepLogs()) fs.rmSync(dir, { recursive: true, force: true });
  };

  // 1. Format the KRaft storage (static quorum via controller.quorum.voters).
  try {
    await runJava(
      [
        "-Xmx256m",
        "-XX:TieredStopAtLevel=1", // short-lived tool: C1 only starts ~0.4 s faster
        "-XX:+UseSerialGC",
        ...commonJvm,
        "-Dplantline.log.name=storage-tool.log",
        "-cp",
        classpath,
        "kafka.tools.StorageTool",
        "format",
        "-t",
        randomClusterId(),
        "-c",
        propsFile,
      ],
      dir,
      Math.max(5_000, deadline - Date.now()),
    );
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    const msg =
      // execFile's message already holds the command line and its stderr.
      `Kafka storage format failed: ${tail(e.message, 4000)}\n${tail(e.stdout ?? "", 2000)}\n` +
      readTail(path.join(logDir, "storage-tool.log"), 4000);
    cleanupDir();
    throw new Error(msg);
  }

  // 2. Start the broker.
  const outFile = path.join(logDir, "broker.out");
  const outFd = fs.openSync(outFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(
      javaBin(),
      [
        `-Xmx${opts.heap ?? "768m"}`,
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-XX:InitiatingHeapOccupancyPercent=35",
        "-XX:+ExplicitGCInvokesConcurrent",
        "-XX:+ExitOnOutOfMemoryError",
        ...commonJvm,
        "-Dplantline.log.name=server.log",
        "-cp",
        classpath,
        "kafka.Kafka",
        propsFile,
      ],
      { cwd: dir, stdio: ["ignore", outFd, outFd] },
    );
  } finally {
    fs.closeSync(outFd);
  }
  const entry: Running = { child, dir };
  installExitHook();
  running.add(entry);
  child.unref(); // a forgotten stop() must not keep the test process alive; the exit hook kills it
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    child.once("error", (err) => {
      spawnError = err;
      exited ??= { code: null, signal: null };
      resolve();
    });
  });
  const exitText = (): string => (exited ? `code ${exited.code}, signal ${exited.signal}` : "still running");
  if (child.pid) entry.watchdog = spawnWatchdog(child.pid, dir);

  const brokers = `127.0.0.1:${brokerPort}`;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (!exited) {
      killQuietly(child, "SIGTERM");
      const t = setTimeout(() => killQuietly(child, "SIGKILL"), 5_000);
      await exitPromise;
      clearTimeout(t);
    }
    if (entry.watchdog) killQuietly(entry.watchdog, "SIGKILL");
    running.delete(entry);
    cleanupDir();
  };

  // 3. Wait until kafkajs can talk to it, create a topic, and find a group coordinator.
  const fail = async (why: string): Promise<never> => {
    const logs = logTails(logDir);
    const bind = /BindException|Address already in use/.test(logs);
    const msg =
      `Kafka ${KAFKA_VERSION} broker on ${brokers} (controller 127.0.0.1:${controllerPort}) did not become ready: ${why}\n` +
      `temp dir: ${dir}\n${logs}`;
    await stop();
    throw bind ? new BindError(msg) : new Error(msg);
  };

  let lastErr: unknown;
  for (;;) {
    if (spawnError) return fail(`could not run ${javaBin()}: ${spawnError.message}`);
    if (exited) return fail(`java exited early (${exitText()})`);
    if (Date.now() > deadline) return fail(`timed out after ${timeoutMs} ms; last error: ${String(lastErr)}`);
    const admin = new Kafka({
      clientId: "plantline-broker-probe",
      brokers: [brokers],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      retry: { retries: 0 },
    }).admin();
    try {
      await admin.connect();
      await admin.listTopics();
      await admin.disconnect();
      break;
    } catch (err) {
      lastErr = err;
      await admin.disconnect().catch(() => {});
      await sleep(250);
    }
  }

  const probeTopic = `_plantline_ready_${randomBytes(4).toString("hex")}`;
  const offsetsPartitions = Number(opts.serverProperties?.["offsets.topic.num.partitions"] ?? OFFSETS_TOPIC_PARTITIONS);
  const warmUp = async () => {
    const admin = new Kafka({
      clientId: "plantline-broker-probe",
      brokers: [brokers],
      logLevel: logLevel.NOTHING,
      retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 },
    }).admin();
    await admin.connect();
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: probeTopic, numPartitions: 1, replicationFactor: 1 }],
      });
      // Finding a group coordinator makes the broker create __consumer_offsets now, and
      // an OffsetFetch per __consumer_offsets partition waits until each partition's
      // coordinator has loaded, so a test's first group / admin.fetchOffsets doesn't hit
      // COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR (kafkajs' admin doesn't retry those).
      for (const groupId of groupIdsCoveringPartitions(offsetsPartitions)) {
        for (;;) {
          try {
            await admin.fetchOffsets({ groupId, topics: [probeTopic] });
            break;
          } catch (err) {
            if (Date.now() > deadline) throw err;
            await sleep(100);
          }
        }
      }
      await admin.deleteTopics({ topics: [probeTopic] });
      for (let i = 0; i < 50 && (await admin.listTopics()).includes(probeTopic); i++) await sleep(100);
    } finally {
      await admin.disconnect();
    }
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    const outcome = await Promise.race([
      warmUp().then(() => "ok" as const),
      exitPromise.then(() => "exited" as const),
      new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), Math.max(1, deadline - Date.now()));
      }),
    ]);
    if (outcome === "exited") return fail(`java exited (${exitText()})`);
    if (outcome === "timeout") return fail(`timed out after ${timeoutMs} ms creating a topic / finding a group coordinator`);
  } catch (err) {
    return fail(`topic create / group coordinator check failed: ${String(err)}`);
  } finally {
    clearTimeout(timer);
  }

  return { brokers, logDir, pid: child.pid!, stop };
}
