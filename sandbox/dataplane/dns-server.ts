import dgram from 'node:dgram';

import dnsPacket, { type Answer, type Question } from 'dns-packet';

import { LOOPBACK } from '../config';
import { type AwsTarget, route53Client } from './aws-clients';
import { dataplaneLog } from './log';
import { chooseWeighted, fqdn, readWeightedRecords, type WeightedRecord } from './weighted-records';

/** Where the DNS server reads the weighted records; tests and benchmarks may pass their own. */
export type RecordSource = () => Promise<WeightedRecord[]>;

/** Options of {@link startDnsServer}. */
export interface DnsServerOptions {
  /** The migration's record name, for example `mqtt.fleet.sandbox.`. */
  recordName: string;
  /** Read the records from this hosted zone in moto's Route 53 ... */
  route53?: { aws: AwsTarget; hostedZoneId: string };
  /** ... or from this source (one of the two is required). */
  source?: RecordSource;
  /** UDP port on 127.0.0.1; 0 picks a free one. @default 0 */
  port?: number;
  /** How often the records are read again, in milliseconds. @default 1000 */
  refreshMs?: number;
  /** Random numbers in [0, 1) for the weighted choice. @default Math.random */
  random?: () => number;
}

/** A running DNS server. */
export interface DnsServerHandle {
  port: number;
  /** `127.0.0.1:<port>`, for `dns.Resolver.setServers`. */
  address: string;
  /** How many answers named each CNAME target so far. */
  answersByTarget(): Record<string, number>;
  /** Reads the records now instead of waiting for the next refresh. */
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

// RFC 1035 response codes used here.
const NXDOMAIN = 3;
const SERVFAIL = 2;

/**
 * Starts a UDP DNS server on 127.0.0.1 that answers the migration's record name with one of its
 * weighted CNAME records, chosen per query in proportion to the weights, with the record's TTL.
 * A and ANY queries also get the target's address (127.0.0.1: both brokers share loopback), and
 * the targets themselves resolve to 127.0.0.1.
 */
export async function startDnsServer(options: DnsServerOptions): Promise<DnsServerHandle> {
  const recordName = fqdn(options.recordName);
  const source = recordSourceOf(options);
  const random = options.random ?? Math.random;
  let records: WeightedRecord[] = [];
  const answered: Record<string, number> = {};

  const refresh = async (): Promise<void> => {
    try {
      records = await source();
    } catch (err) {
      // Keep answering from the last records read: a moto hiccup must not blank the name.
      dataplaneLog.warn({ err, recordName }, 'dns records not refreshed');
    }
  };
  await refresh();
  const timer = setInterval(() => void refresh(), options.refreshMs ?? 1000);

  const socket = dgram.createSocket('udp4');
  socket.on('message', (message, peer) => {
    try {
      const response = answer(message, recordName, records, random, answered);
      if (response) socket.send(response, peer.port, peer.address);
    } catch (err) {
      // One bad query or record must not take the server down; the client will time out.
      dataplaneLog.warn({ err }, 'dns query not answered');
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port ?? 0, LOOPBACK, () => resolve());
  });
  socket.on('error', (err) => dataplaneLog.error({ err }, 'dns socket error'));
  const port = socket.address().port;
  dataplaneLog.info({ port, recordName }, 'dns server started');

  return {
    port,
    address: `${LOOPBACK}:${port}`,
    answersByTarget: () => ({ ...answered }),
    refresh,
    stop: async () => {
      clearInterval(timer);
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}

function recordSourceOf(options: DnsServerOptions): RecordSource {
  if (options.source) return options.source;
  if (!options.route53) throw new Error('startDnsServer needs route53 or source');
  const { aws, hostedZoneId } = options.route53;
  const route53 = route53Client(aws);
  return () => readWeightedRecords(route53, hostedZoneId, options.recordName);
}

function answer(
  message: Buffer,
  recordName: string,
  records: WeightedRecord[],
  random: () => number,
  answered: Record<string, number>,
): Buffer | undefined {
  let query;
  try {
    query = dnsPacket.decode(message);
  } catch {
    return undefined; // not DNS: nothing sensible to answer
  }
  const question = query.questions?.[0];
  if (!question) return undefined;

  const name = fqdn(question.name);
  const targets = new Set(records.map((r) => r.target));
  let answers: Answer[] = [];
  let rcode = 0;
  if (name === recordName) {
    const chosen = chooseWeighted(records, random);
    if (chosen) {
      answered[chosen.target] = (answered[chosen.target] ?? 0) + 1;
      answers = cnameAnswers(question, chosen);
    } else {
      rcode = SERVFAIL;
    }
  } else if (targets.has(name)) {
    const ttl = records.find((r) => r.target === name)?.ttlSeconds ?? 60;
    if (wantsAddress(question)) answers = [{ type: 'A', name: question.name, ttl, data: LOOPBACK }];
  } else {
    rcode = NXDOMAIN;
  }

  return dnsPacket.encode({
    type: 'response',
    id: query.id,
    flags:
      dnsPacket.AUTHORITATIVE_ANSWER | ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | rcode,
    questions: [question],
    answers,
  });
}

function cnameAnswers(question: Question, chosen: WeightedRecord): Answer[] {
  const ttl = chosen.ttlSeconds;
  const target = chosen.target.replace(/\.$/, '');
  const cname: Answer = { type: 'CNAME', name: question.name, ttl, data: target };
  if (!wantsAddress(question)) return [cname];
  return [cname, { type: 'A', name: target, ttl, data: LOOPBACK }];
}

function wantsAddress(question: Question): boolean {
  // ANY is a query type, not a record type, so the typings leave it out.
  const type: string = question.type;
  return type === 'A' || type === 'ANY';
}
