// Prometheus metrics of one replica (data plane, replica), on a private prom-client registry so
// several replicas in one process (tests, benches) do not collide. Names start with serve_replica_.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const latencyBucketsS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.2, 0.5, 1, 2.5];

/** The replica's instruments. Record through these; `render()` produces the /metrics text. */
export class ReplicaMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'status'>;
  private readonly byStatus = new Map<number, Counter.Internal>();
  readonly latencyS: Histogram;
  readonly queueWaitS: Histogram;
  readonly inferenceS: Histogram;
  readonly batchSize: Histogram;
  readonly queueDepth: Gauge;
  readonly inFlight: Gauge;
  readonly modelLoadS: Gauge;
  readonly ready: Gauge;

  constructor(labels: Record<string, string>) {
    const registers = [this.registry];
    this.registry.setDefaultLabels(labels);
    this.requests = new Counter({
      name: 'serve_replica_requests_total',
      help: 'Infer requests answered, by HTTP status',
      labelNames: ['status'],
      registers,
    });
    this.latencyS = new Histogram({
      name: 'serve_replica_request_duration_seconds',
      help: 'Infer request latency from arrival to response, seconds',
      buckets: latencyBucketsS,
      registers,
    });
    this.queueWaitS = new Histogram({
      name: 'serve_replica_queue_wait_seconds',
      help: 'Time a request waited in the batch queue, seconds',
      buckets: latencyBucketsS,
      registers,
    });
    this.inferenceS = new Histogram({
      name: 'serve_replica_inference_duration_seconds',
      help: 'Session run time per batch, seconds',
      buckets: latencyBucketsS,
      registers,
    });
    this.batchSize = new Histogram({
      name: 'serve_replica_batch_size',
      help: 'Rows per session run',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    });
    this.queueDepth = new Gauge({
      name: 'serve_replica_queue_depth',
      help: 'Requests waiting in the batch queue',
      registers,
    });
    this.inFlight = new Gauge({
      name: 'serve_replica_in_flight',
      help: 'Infer requests received and not yet answered',
      registers,
    });
    this.modelLoadS = new Gauge({
      name: 'serve_replica_model_load_seconds',
      help: 'Time to load and warm up the model, seconds',
      registers,
    });
    this.ready = new Gauge({
      name: 'serve_replica_ready',
      help: '1 when the replica accepts inference, 0 while loading or draining',
      registers,
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'serve_replica_' });
  }

  /** Counts one answered infer request. */
  countRequest(status: number): void {
    let c = this.byStatus.get(status);
    if (!c) this.byStatus.set(status, (c = this.requests.labels(String(status))));
    c.inc();
  }

  /** Prometheus text exposition. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
