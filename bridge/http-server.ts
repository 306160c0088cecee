import http from 'node:http';
import { type AddressInfo } from 'node:net';

import { type BridgeMetrics } from './metrics';

/** What /healthz reports. */
export interface BridgeHealth {
  status: 'ok' | 'degraded' | 'draining';
  upstreamConnected: number;
  upstreamTotal: number;
  downstreamConnected: number;
  downstreamTotal: number;
  inFlight: number;
  totals: BridgeMetrics['totals'];
  deadLetteredByReason: BridgeMetrics['deadLetteredByReason'];
}

/**
 * Serves `/healthz` (200 while every upstream and at least one downstream link is up, 503
 * otherwise) and `/metrics` in the Prometheus text format, on loopback only.
 */
export async function startHttpServer(
  host: string,
  port: number,
  metrics: BridgeMetrics,
  health: () => BridgeHealth,
): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.url === '/healthz') {
      const body = health();
      res.writeHead(body.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
      return;
    }
    if (req.url === '/metrics') {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        },
        (err: Error) => {
          res.writeHead(500);
          res.end(err.message);
        },
      );
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
