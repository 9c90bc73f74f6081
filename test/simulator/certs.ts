/**
 * Certificates for the tenant simulator: a test certificate authority, server certificates for
 * localhost/127.0.0.1 signed by it, and self-signed application certificates (client credentials).
 *
 * RSA keys come from Node's crypto (fast); node-forge only builds and signs the X.509 structures.
 * Trust reaches test workers and child processes through the standard NODE_EXTRA_CA_CERTS, never
 * through a TLS override.
 */
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import forge from 'node-forge';

export interface KeyAndCert {
  keyPem: string;
  certPem: string;
}

export interface CaFiles extends KeyAndCert {
  certPath: string;
  keyPath: string;
}

/** File names inside a CA directory (globalSetup writes them, the simulator reads them). */
export const CA_CERT_FILE = 'ca.pem';
export const CA_KEY_FILE = 'ca-key.pem';

const DAY = 24 * 60 * 60 * 1000;

function rsaKeyPair(bits = 2048): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return { privatePem: privateKey, publicPem: publicKey };
}

function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive
  if (bytes[0] === 0) bytes[0] = 0x01;
  return bytes.toString('hex');
}

interface CertSpec {
  subjectCn: string;
  issuer?: { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey };
  days: number;
  isCa: boolean;
  dnsNames?: string[];
  ips?: string[];
  serverAuth?: boolean;
  clientAuth?: boolean;
}

function buildCert(spec: CertSpec): KeyAndCert {
  const { privatePem, publicPem } = rsaKeyPair();
  const publicKey = forge.pki.publicKeyFromPem(publicPem);
  const privateKey = forge.pki.privateKeyFromPem(privatePem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serialNumber();
  const now = Date.now();
  cert.validity.notBefore = new Date(now - DAY);
  cert.validity.notAfter = new Date(now + spec.days * DAY);
  const subject = [
    { name: 'commonName', value: spec.subjectCn },
    { name: 'organizationName', value: 'tenant-sync test double' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(spec.issuer ? spec.issuer.cert.subject.attributes : subject);
  const extensions: object[] = [];
  if (spec.isCa) {
    extensions.push({ name: 'basicConstraints', cA: true, critical: true });
    extensions.push({ name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true });
  } else {
    extensions.push({ name: 'basicConstraints', cA: false });
    extensions.push({ name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true });
    const eku: Record<string, boolean> = { name: true };
    if (spec.serverAuth) eku['serverAuth'] = true;
    if (spec.clientAuth) eku['clientAuth'] = true;
    if (spec.serverAuth || spec.clientAuth) {
      extensions.push({ name: 'extKeyUsage', serverAuth: !!spec.serverAuth, clientAuth: !!spec.clientAuth });
    }
  }
  const altNames: { type: number; value?: string; ip?: string }[] = [];
  for (const dns of spec.dnsNames ?? []) altNames.push({ type: 2, value: dns });
  for (const ip of spec.ips ?? []) altNames.push({ type: 7, ip });
  if (altNames.length > 0) extensions.push({ name: 'subjectAltName', altNames });
  extensions.push({ name: 'subjectKeyIdentifier' });
  if (spec.issuer) {
    extensions.push({
      name: 'authorityKeyIdentifier',
      keyIdentifier: spec.issuer.cert.generateSubjectKeyIdentifier().getBytes(),
    });
  }
  cert.setExtensions(extensions);
  cert.sign(spec.issuer ? spec.issuer.key : privateKey, forge.md.sha256.create());
  return { keyPem: privatePem, certPem: forge.pki.certificateToPem(cert) };
}

/** A new test certificate authority (valid two years). */
export function createCa(commonName = 'tenant-sync test CA'): KeyAndCert {
  return buildCert({ subjectCn: commonName, days: 730, isCa: true });
}

/** A server certificate for localhost, 127.0.0.1 and ::1, signed by the CA. */
export function issueServerCert(ca: KeyAndCert, days = 30): KeyAndCert {
  return buildCert({
    subjectCn: 'localhost',
    issuer: { cert: forge.pki.certificateFromPem(ca.certPem), key: forge.pki.privateKeyFromPem(ca.keyPem) },
    days,
    isCa: false,
    dnsNames: ['localhost'],
    ips: ['127.0.0.1', '::1'],
    serverAuth: true,
  });
}

/** A self-signed certificate as an administrator uploads to an app registration. */
export function createAppCertificate(commonName: string, days = 365): KeyAndCert {
  return buildCert({ subjectCn: commonName, days, isCa: false, clientAuth: true });
}

export interface Thumbprints {
  /** SHA-1 of the DER certificate, upper-case hex (what the portal shows) */
  sha1: string;
  /** SHA-256 of the DER certificate, upper-case hex */
  sha256: string;
}

export function certDer(certPem: string): Buffer {
  return new X509Certificate(certPem).raw;
}

export function thumbprints(certPem: string): Thumbprints {
  const der = certDer(certPem);
  return {
    sha1: createHash('sha1').update(der).digest('hex').toUpperCase(),
    sha256: createHash('sha256').update(der).digest('hex').toUpperCase(),
  };
}

function validCa(certPath: string, keyPath: string): CaFiles | undefined {
  try {
    const certPem = readFileSync(certPath, 'utf8');
    const keyPem = readFileSync(keyPath, 'utf8');
    const x509 = new X509Certificate(certPem);
    // Still valid for at least a week, and the key belongs to the certificate.
    if (new Date(x509.validTo).getTime() < Date.now() + 7 * DAY) return undefined;
    if (!x509.checkPrivateKey(createPrivateKey(keyPem))) return undefined;
    if (!x509.ca) return undefined;
    return { certPem, keyPem, certPath, keyPath };
  } catch {
    return undefined;
  }
}

/**
 * The CA in `dir` (ca.pem + ca-key.pem), created when missing or about to expire. Creation is
 * atomic (a complete directory renamed into place), so concurrent test runs agree on one CA.
 */
export function ensureCaFiles(dir: string): CaFiles {
  const certPath = join(dir, CA_CERT_FILE);
  const keyPath = join(dir, CA_KEY_FILE);
  const existing = validCa(certPath, keyPath);
  if (existing) return existing;
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const staging = mkdtempSync(join(parent, '.test-ca-'));
  const ca = createCa();
  writeFileSync(join(staging, CA_CERT_FILE), ca.certPem, { mode: 0o644 });
  writeFileSync(join(staging, CA_KEY_FILE), ca.keyPem, { mode: 0o600 });
  if (existsSync(dir)) {
    // An old or broken CA: move it aside (another run may be doing the same; both are fine).
    const aside = `${dir}.old-${process.pid}-${Date.now()}`;
    try {
      renameSync(dir, aside);
      rmSync(aside, { recursive: true, force: true });
    } catch {
      /* someone else replaced it */
    }
  }
  try {
    renameSync(staging, dir);
  } catch {
    // Another run won the race: use its CA.
    rmSync(staging, { recursive: true, force: true });
  }
  const result = validCa(certPath, keyPath);
  if (!result) throw new Error(`Could not create a test CA in ${dir}`);
  return result;
}

/**
 * The CA that this process trusts through NODE_EXTRA_CA_CERTS, when its key sits next to it
 * (ca-key.pem in the same directory, as globalSetup writes it).
 */
export function trustedCaFromEnv(env: NodeJS.ProcessEnv = process.env): CaFiles | undefined {
  const path = env['NODE_EXTRA_CA_CERTS'];
  if (!path) return undefined;
  const dir = dirname(path);
  return validCa(join(dir, CA_CERT_FILE), join(dir, CA_KEY_FILE));
}
