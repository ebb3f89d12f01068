import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * The process's own Prometheus metrics (prom-client). The HTTP series come from the API, the money
 * series from the activities, so each process exposes what it does; the all-in-one process both.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labels = ['method', 'route', 'status'] as const;
  return {
    registry,
    httpRequests: new Counter({ name: 'http_requests_total', help: 'HTTP requests by route and status', labelNames: labels, registers: [registry] }),
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds', help: 'HTTP request latency by route and status', labelNames: labels,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry],
    }),
    ordersPlaced: new Counter({ name: 'orders_placed_total', help: 'Orders paid into escrow', registers: [registry] }),
    ordersRefused: new Counter({ name: 'orders_refused_total', help: 'Orders refused, by error code', labelNames: ['code'] as const, registers: [registry] }),
    payouts: new Counter({ name: 'delivery_payouts_total', help: 'Deliveries completed and paid out', registers: [registry] }),
    writesRefused: new Counter({
      name: 'money_writes_refused_total', help: 'Writes the database refused and no retry can fix, by guard (escrow, status, event_key, transfer_key)',
      labelNames: ['guard'] as const, registers: [registry],
    }),
    refunds: new Counter({ name: 'delivery_refunds_total', help: 'Deliveries cancelled and refunded', registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** This process's metrics, followed by the Temporal SDK's (`temporal_…`) where it exports them. */
export async function metricsText(metrics: Metrics, sdkMetricsUrl?: string): Promise<string> {
  const own = await metrics.registry.metrics();
  if (!sdkMetricsUrl) return own;
  const sdk = await fetch(sdkMetricsUrl).then((r) => r.text(), () => '# Temporal SDK metrics unavailable\n');
  return `${own}\n${sdk}`;
}
