// What the controller offers Prometheus (control plane): its own /metrics on a loopback port and the
// service discovery file of the cluster's targets, kept current as the gateway and replicas change.
import type { ClusterStatus } from '../../common/cluster-status.js';
import type { ReplicaEndpoint } from '../../common/wire.js';
import type { InForce } from '../in-force.js';
import type { ScalingTarget } from '../autoscale/index.js';
import { ControllerMetrics, type ScalingSource } from './controller-metrics.js';
import type { ClusterEvent } from '../events.js';
import { startMetricsServer, type MetricsServer } from './metrics-server.js';
import { SdFile, type FileWriter } from './prometheus-sd.js';

export class ControllerMonitoring {
  private readonly metrics: ControllerMetrics;
  private readonly sd: SdFile;
  private server: MetricsServer | undefined;
  private gatewayUrl: string | undefined;
  private replicas: readonly ReplicaEndpoint[] = [];
  private closed = false;

  constructor(
    private readonly inForce: InForce,
    sdFile: string,
    writes: FileWriter,
    status: () => ClusterStatus,
  ) {
    this.metrics = new ControllerMetrics(status, () => inForce.profile);
    this.sd = new SdFile(sdFile, writes);
  }

  /** http://127.0.0.1:PORT/metrics once listening. */
  get metricsUrl(): string | undefined {
    return this.server?.url;
  }

  /** Listens on controller.metrics_port (0: a free port) and lists the controller as a target. */
  async start(): Promise<void> {
    this.server = await startMetricsServer(this.inForce.profile.controller?.metricsPort ?? 0, () =>
      this.metrics.text(),
    );
    this.writeTargets();
  }

  event(e: ClusterEvent): void {
    this.metrics.event(e);
  }

  scaled(from: number, to: number, source: ScalingSource): void {
    this.metrics.scaled(from, to, source);
  }

  /** `target` with every change the autoscaler applies counted as a scaling decision. */
  counting(target: ScalingTarget): ScalingTarget {
    return {
      get desired() {
        return target.desired;
      },
      get ready() {
        return target.ready;
      },
      get rolling() {
        return target.rolling;
      },
      setReplicas: (n) => {
        this.scaled(target.desired, n, 'autoscaler');
        target.setReplicas(n);
      },
      sampleLoad: (timeoutMs) => target.sampleLoad(timeoutMs),
    };
  }

  /** The gateway's URL or the listening replicas changed: rewrite the targets file. */
  targetsChanged(change: { gatewayUrl?: string; replicas?: readonly ReplicaEndpoint[] }): void {
    if (change.gatewayUrl !== undefined) this.gatewayUrl = change.gatewayUrl;
    if (change.replicas !== undefined) this.replicas = change.replicas;
    this.writeTargets();
  }

  /** Stops serving /metrics; the targets file is left alone from now on (releasing the state directory removes it). */
  async close(): Promise<void> {
    this.closed = true;
    await this.server?.close();
  }

  private writeTargets(): void {
    if (this.closed) return;
    this.sd.update({
      profile: this.inForce.profile.name,
      controllerUrl: this.server?.url,
      gatewayUrl: this.gatewayUrl,
      replicas: this.replicas,
    });
  }
}
