// `npm run bench:otlp`: OTLP decode throughput of ingest/otlp.ts on a 10,000-span request built with
// the real SDK and serialized with the official OTLP serializers, protobuf and JSON.
import assert from 'node:assert/strict';
import * as api from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { decodeTraceRequest } from '../ingest/otlp';

async function main() {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'erp-gateway',
      'service.version': '1.4.2',
      'deployment.environment.name': 'prod',
      'host.name': 'plant-gw-01',
      'process.pid': 1234,
      'mfg.plant': 'P100',
    }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('plantline.bench', '1.0.0');
  const N = 10_000;
  for (let i = 0; i < N; i++) {
    const start: api.HrTime = [1700000000 + (i >> 4), (i * 7919) % 999_000_000];
    const span = tracer.startSpan('POST /erp/goods-receipt', {
      kind: api.SpanKind.CLIENT,
      startTime: start,
      attributes: {
        'mfg.correlation_id': `corr-${i}`,
        'mfg.flow': 'goods_receipt',
        'mfg.order_no': `4500${i}`,
        'mfg.material': `MAT-${i % 100}`,
        'mfg.lot': `LOT${i}`,
        'http.request.method': 'POST',
        'http.response.status_code': 201,
        'url.full': `https://erp.example/api/gr/${i}`,
        'server.address': 'erp.example',
        'erp.doc_count': i % 7,
      },
    });
    if (i % 4 === 0) span.addEvent('erp.retry', { attempt: 1, reason: 'timeout' }, [start[0], start[1] + 500]);
    if (i % 3 === 0) span.setStatus({ code: api.SpanStatusCode.ERROR, message: 'ERP rejected posting' });
    span.end([start[0], start[1] + 12345]);
  }
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  for (const [encoding, body] of [
    ['protobuf', ProtobufTraceSerializer.serializeRequest(spans)!],
    ['json', JsonTraceSerializer.serializeRequest(spans)!],
  ] as const) {
    for (let i = 0; i < 5; i++) decodeTraceRequest(body, encoding); // warm up
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t0 = process.hrtime.bigint();
      assert.equal(decodeTraceRequest(body, encoding).length, N);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((a, b) => a - b);
    const median = times[times.length >> 1];
    console.log(
      `${encoding}: ${N} spans, ${(body.length / 1e6).toFixed(1)} MB: median ${median.toFixed(0)} ms (${Math.round((N / median) * 1000)} spans/s), best ${times[0].toFixed(0)} ms (${Math.round((N / times[0]) * 1000)} spans/s)`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
