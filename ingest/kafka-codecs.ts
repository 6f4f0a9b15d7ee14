// Compression codecs for kafkajs, which reads only gzip by itself: a record batch that a producer (an
// OpenTelemetry Collector, middleware) or the topic (`compression.type`) compressed with snappy, lz4 or
// zstd would otherwise fail every fetch of its partition. Pure-JavaScript libraries, no native builds:
// snappy through kafkajs's own codec (Kafka's xerial framing), lz4 frames with lz4js, zstd frames with
// fzstd, which only decompresses: Plantline's own producers (DLQ, replays) send uncompressed.
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import SnappyCodec from 'kafkajs-snappy';
import { decompress as zstdDecompress } from 'fzstd';
import * as lz4 from 'lz4js';

type Encoder = { buffer: Buffer };

const lz4Codec = () => ({
  async compress(encoder: Encoder) {
    return Buffer.from(lz4.compress(encoder.buffer));
  },
  async decompress(buffer: Buffer) {
    return Buffer.from(lz4.decompress(buffer));
  },
});

const zstdCodec = () => ({
  async compress(): Promise<Buffer> {
    throw new Error('zstd compression is not supported for producing (Plantline only reads zstd batches)');
  },
  async decompress(buffer: Buffer) {
    return Buffer.from(zstdDecompress(buffer));
  },
});

let registered = false;

/** Register the codecs once per process, before any consumer fetches. */
export function registerKafkaCodecs(): void {
  if (registered) return;
  CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec;
  CompressionCodecs[CompressionTypes.LZ4] = lz4Codec;
  CompressionCodecs[CompressionTypes.ZSTD] = zstdCodec;
  registered = true;
}
