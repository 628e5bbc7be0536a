// OpenTelemetry traces: a span per agent run, per model call (model, tokens) and per tool call, exported
// over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set — Langfuse,
// Jaeger, Grafana Tempo and others accept it. Nothing is exported by default: the API is then a no-op.
import { context, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import type { TracerProvider } from '@opentelemetry/sdk-trace';
import type { ModelProvider, ProviderChunk } from '@suna/shared/agent/index';
import { recordModelUsage } from './metrics.js';

let provider: TracerProvider | undefined;

export async function startTracing(version: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return false;
  // The SDK and exporter load only when tracing is on: together they cost more than the rest of the start.
  const [{ AsyncLocalStorageContextManager }, { OTLPTraceExporter }, { resourceFromAttributes }, { BatchSpanProcessor, TracerProvider }] = await Promise.all([
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace'),
  ]);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME || 'suna-mcp', 'service.version': version }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter(), scheduledDelayMillis: 500 })],
  });
  trace.setGlobalTracerProvider(provider);
  return true;
}

export async function stopTracing(): Promise<void> {
  await provider?.shutdown().catch(() => {});
}

const tracer = () => trace.getTracer('suna-mcp');

/** Run `fn` inside a span that is the parent of any span started within it. */
export async function withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Wrap a model provider: a span per model call (GenAI semantic attributes) and token/cost metrics. */
export function instrumentProvider(inner: ModelProvider): ModelProvider {
  const [system, model] = [inner.id.split(':')[0]!, inner.id.slice(inner.id.indexOf(':') + 1)];
  return {
    id: inner.id,
    contextWindow: inner.contextWindow,
    countTokens: inner.countTokens?.bind(inner),
    stream(request, signal) {
      const span = tracer().startSpan(`chat ${model}`, { attributes: { 'gen_ai.system': system, 'gen_ai.request.model': model, 'gen_ai.operation.name': 'chat' } });
      return (async function* (): AsyncGenerator<ProviderChunk> {
        let input = 0;
        let output = 0;
        try {
          for await (const chunk of inner.stream(request, signal)) {
            if (chunk.type === 'usage') {
              input += chunk.inputTokens;
              output += chunk.outputTokens;
            }
            if (chunk.type === 'stop') span.setAttribute('gen_ai.response.finish_reasons', [chunk.reason]);
            yield chunk;
          }
        } catch (err) {
          span.recordException(err as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
          throw err;
        } finally {
          span.setAttributes({ 'gen_ai.usage.input_tokens': input, 'gen_ai.usage.output_tokens': output });
          span.end();
          recordModelUsage(inner.id, input, output);
        }
      })();
    },
  };
}
