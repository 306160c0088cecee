import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { requireTool } from './tools';

/** Files of one certificate and its private key, in PEM. */
export interface CertificateFiles {
  cert: string;
  key: string;
}

/** The customer's own CA and what the sandbox issued with it. */
export interface SandboxPki {
  dir: string;
  ca: CertificateFiles;
  /** The IoT Core stand-in's server certificate, valid for 127.0.0.1 and localhost. */
  server: CertificateFiles;
}

const DAYS_VALID = '3650';

/**
 * Makes sure a CA exists in `dir`, generating it once. In a real migration the customer brings
 * this CA and registers it with IoT Core, so devices keep the certificates they already have.
 */
export function ensureCustomerCa(
  dir: string,
  commonName = 'fleetshift sandbox customer CA',
): SandboxPki {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = filesOf(dir, 'ca');
  if (!existsSync(ca.cert)) {
    newKey(ca.key);
    openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      ca.key,
      '-out',
      ca.cert,
      '-days',
      DAYS_VALID,
      '-subj',
      `/O=fleetshift/CN=${commonName}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
  }

  const server = filesOf(dir, 'server');
  if (!existsSync(server.cert)) {
    issue(dir, 'server', 'localhost', [
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      'extendedKeyUsage=serverAuth',
    ]);
  }
  return { dir, ca, server };
}

/** Issues (once) a client certificate signed by the CA in `dir`, for a device or a service. */
export function issueClientCertificate(dir: string, name: string): CertificateFiles {
  const files = filesOf(dir, name);
  if (!existsSync(files.cert)) issue(dir, name, name, ['extendedKeyUsage=clientAuth']);
  return files;
}

function issue(dir: string, name: string, commonName: string, extensions: string[]): void {
  const ca = filesOf(dir, 'ca');
  const files = filesOf(dir, name);
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);

  newKey(files.key);
  openssl([
    'req',
    '-new',
    '-key',
    files.key,
    '-out',
    csr,
    '-subj',
    `/O=fleetshift/CN=${commonName}`,
  ]);
  writeFileSync(ext, `${extensions.join('\n')}\n`);
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-out',
    files.cert,
    '-days',
    DAYS_VALID,
    '-extfile',
    ext,
  ]);
}

function newKey(file: string): void {
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', file]);
}

function filesOf(dir: string, name: string): CertificateFiles {
  return { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
}

function openssl(args: string[]): void {
  // stdio is captured, never printed: openssl may echo key material on some errors.
  execFileSync(requireTool('openssl'), args, { stdio: 'pipe' });
}
