import dns from 'node:dns';
import tls from 'node:tls';

import { type BrokerName } from './fleet-counters';
import { fqdn } from './weighted-records';

/** One broker as devices reach it. */
export interface BrokerTarget {
  /** The CNAME target that names this broker, for example `legacy.broker.sandbox.`. */
  target: string;
  /** For example `mqtt://127.0.0.1:21883` or `mqtts://127.0.0.1:28883`. */
  url: string;
  /** Client certificate and CA, in PEM, for a TLS broker. */
  tls?: { ca: Buffer | string; cert: Buffer | string; key: Buffer | string };
}

/** Where a lookup sent a device. */
export interface ResolvedBroker {
  broker: BrokerName;
  url: string;
  /** Built once per broker and shared by every device: 10,000 copies would cost memory. */
  secureContext?: tls.SecureContext;
}

/** Looks the migration's name up, every time it is called. */
export type ResolveBroker = () => Promise<ResolvedBroker>;

/**
 * Resolves `recordName` through the DNS server at `server` (`127.0.0.1:PORT`) and maps the CNAME
 * target it answers to that broker's URL. In the sandbox both brokers share 127.0.0.1, so the
 * target, not the address, says which port to use.
 */
export function brokerResolver(
  server: string,
  recordName: string,
  brokers: Record<BrokerName, BrokerTarget>,
): ResolveBroker {
  const resolver = new dns.promises.Resolver({ timeout: 4000, tries: 2 });
  resolver.setServers([server]);
  const byTarget = new Map<string, ResolvedBroker>();
  for (const [broker, target] of Object.entries(brokers) as [BrokerName, BrokerTarget][]) {
    const secureContext = target.tls ? tls.createSecureContext(target.tls) : undefined;
    byTarget.set(fqdn(target.target), { broker, url: target.url, secureContext });
  }

  return async () => {
    const [target] = await resolver.resolveCname(recordName);
    const resolved = target ? byTarget.get(fqdn(target)) : undefined;
    if (!resolved) throw new Error(`${recordName} resolved to an unknown broker ${target}`);
    return resolved;
  };
}
