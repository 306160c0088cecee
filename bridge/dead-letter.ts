import { type FileHandle, mkdir, open } from 'node:fs/promises';
import path from 'node:path';

import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

import { type Direction } from './config';
import { type DeadLetterReason } from './iot-core-limits';
import { type PublishProperties } from './properties';

/** One message the bridge did not forward, with everything needed to replay it by hand. */
export interface DeadLetterRecord {
  at: string;
  direction: Direction;
  reason: DeadLetterReason;
  topic: string;
  qos: number;
  retain: boolean;
  /** Base64, so binary payloads survive the JSON line. */
  payload: string;
  properties?: PublishProperties;
}

/** Where refused messages go; `append` resolves only once the record is durable. */
export interface DeadLetterStore {
  append(record: DeadLetterRecord): Promise<void>;
  close(): Promise<void>;
}

/**
 * An append-only JSON-lines file. Records that arrive together are written and synced as one
 * batch, so a burst of refusals costs one fsync instead of one each.
 */
export class FileDeadLetterStore implements DeadLetterStore {
  private handle: Promise<FileHandle> | undefined;
  private batch: { line: string; resolve: () => void; reject: (err: Error) => void }[] = [];
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  append(record: DeadLetterRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.batch.push({ line: `${JSON.stringify(record)}\n`, resolve, reject });
      if (this.batch.length === 1) this.writing = this.writing.then(() => this.flush());
    });
  }

  async close(): Promise<void> {
    await this.writing;
    if (this.handle) await (await this.handle).close();
  }

  private async flush(): Promise<void> {
    const batch = this.batch;
    this.batch = [];
    try {
      this.handle ??= mkdir(path.dirname(this.file), { recursive: true }).then(() =>
        open(this.file, 'a'),
      );
      const handle = await this.handle;
      await handle.write(batch.map((b) => b.line).join(''));
      await handle.datasync();
      batch.forEach((b) => b.resolve());
    } catch (err) {
      // A failed open is tried again with the next batch instead of failing it forever.
      const opened = await this.handle?.then(
        () => true,
        () => false,
      );
      if (!opened) this.handle = undefined;
      batch.forEach((b) => b.reject(err as Error));
    }
  }
}

/** S3 settings of the dead-letter store (see the bridge config). */
export interface S3DeadLetterOptions {
  bucket: string;
  prefix: string;
  region: string;
  endpoint?: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Distinguishes the objects of concurrent instances. */
  instanceId: string;
}

/** One S3 object per refused message; S3 has the record once PutObject returned. */
export class S3DeadLetterStore implements DeadLetterStore {
  private readonly client: S3Client;
  private sequence = 0;

  constructor(private readonly options: S3DeadLetterOptions) {
    this.client = new S3Client({
      region: options.region,
      ...(options.endpoint
        ? {
            endpoint: options.endpoint,
            forcePathStyle: true,
            credentials: {
              accessKeyId: options.accessKeyId,
              secretAccessKey: options.secretAccessKey,
            },
          }
        : {}),
    });
  }

  async append(record: DeadLetterRecord): Promise<void> {
    this.sequence += 1;
    const stamp = record.at.replace(/[:.]/g, '-');
    const key =
      `${this.options.prefix}${record.direction}/${record.reason}/` +
      `${stamp}-${this.options.instanceId}-${this.sequence}.json`;
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.options.bucket,
        Key: key,
        Body: JSON.stringify(record),
        ContentType: 'application/json',
      }),
    );
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
