// A certificate authority per network (world.ca): EC P-256 keys made by Node's crypto, X.509 v3
// certificates built with @peculiar/asn1-x509's structures and signed synchronously by Node's
// crypto (ECDSA with SHA-256), for host names (subjectAltName dNSName) and addresses (iPAddress).
//
// Keys, serial numbers, names and dates follow from the network's seed and the order of issue;
// ECDSA signatures draw OpenSSL's own randomness, so certificate bytes differ between runs.
import { createECDH, createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { createRequire } from 'node:module';
import type * as Schema from '@peculiar/asn1-schema';
import type * as X509 from '@peculiar/asn1-x509';
import type { Extension, KeyUsage, Name, RelativeDistinguishedName, SubjectPublicKeyInfo, TBSCertificate } from '@peculiar/asn1-x509';
import { Random } from '../links/random.js';

/** What a server (or a client with a certificate) needs, as PEM: tls.createSecureContext's key, cert and ca. */
export interface Credentials {
  /** The private key (PKCS #8). */
  key: string;
  /** The certificate. */
  cert: string;
  /** The certificate of the authority that signed it. */
  ca: string;
}

export interface IssueOptions {
  /** The subject's common name; default the first name. */
  commonName?: string;
}

/** RFC 5480 §2.1.1: id-ecPublicKey; RFC 5758 §3.2: ecdsa-with-SHA256. */
/**
 * The ASN.1 libraries, loaded on first use. They load tslib, whose CommonJS build also puts its
 * helpers (__extends, __awaiter...) on the global object: the ones it added are taken off again.
 */
let asn1: { s: typeof Schema; x: typeof X509 } | null = null;
function lib(): { s: typeof Schema; x: typeof X509 } {
  if (asn1 !== null) return asn1;
  const g = globalThis as unknown as Record<string, unknown>;
  const before = new Set(Object.getOwnPropertyNames(g));
  const req = createRequire(import.meta.url);
  const s = req('@peculiar/asn1-schema') as typeof Schema;
  const x = req('@peculiar/asn1-x509') as typeof X509;
  for (const k of Object.getOwnPropertyNames(g)) if (!before.has(k) && k.startsWith('__')) delete g[k];
  asn1 = { s, x };
  return asn1;
}

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const OID_CN = '2.5.4.3';
const OID_O = '2.5.4.10';
/** The order of the P-256 group: a private key is in [1, n). */
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const NOT_BEFORE = new Date(Date.UTC(2020, 0, 1));
const NOT_AFTER = new Date(Date.UTC(2099, 11, 31, 23, 59, 59));

export class CertificateAuthority {
  /** The authority's own (self-signed) certificate, PEM: what hosts of the network trust. */
  readonly cert: string;
  /** The authority's private key, PEM (PKCS #8). */
  readonly key: string;
  private readonly keyObject: KeyObject;
  private readonly name: Name;
  private readonly keyId: ArrayBuffer;
  private readonly random: Random;
  private readonly issued = new Map<string, Credentials>();

  constructor(seed: number, commonName = `usernet CA (seed ${seed})`) {
    const { x } = lib();
    this.random = new Random((seed ^ 0x75736361) >>> 0); // its own stream: the network's is not drawn from
    this.keyObject = p256Key(this.random);
    this.key = this.keyObject.export({ type: 'pkcs8', format: 'pem' }) as string;
    this.name = distinguishedName(commonName, 'usernet');
    const spki = publicKeyInfo(this.keyObject);
    this.keyId = keyIdentifier(spki);
    this.cert = this.sign(new x.TBSCertificate({
      version: x.Version.v3,
      serialNumber: this.serial(),
      signature: new x.AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 }),
      issuer: this.name,
      validity: new x.Validity({ notBefore: NOT_BEFORE, notAfter: NOT_AFTER }),
      subject: this.name,
      subjectPublicKeyInfo: spki,
      extensions: new x.Extensions([
        extension(x.id_ce_basicConstraints, true, new x.BasicConstraints({ cA: true })),
        extension(x.id_ce_keyUsage, true, keyUsage(x.KeyUsageFlags.keyCertSign | x.KeyUsageFlags.cRLSign)),
        extension(x.id_ce_subjectKeyIdentifier, false, new x.SubjectKeyIdentifier(this.keyId)),
      ]),
    }));
  }

  /**
   * A key and a certificate for these host names and addresses (subjectAltName: dNSName for a
   * name, iPAddress for an address), valid for TLS servers and clients. The same names give
   * the same credentials again.
   */
  issue(names: string | readonly string[], opts: IssueOptions = {}): Credentials {
    const { x, s } = lib();
    const list = [...new Set(typeof names === 'string' ? [names] : names)];
    if (list.length === 0 || list.some((n) => typeof n !== 'string' || n === '')) {
      throw new TypeError('ca.issue: names must be one or more non-empty host names or addresses');
    }
    const cn = opts.commonName ?? list[0]!;
    const cacheKey = `${cn}\0${list.join('\0')}`;
    const known = this.issued.get(cacheKey);
    if (known !== undefined) return known;
    const key = p256Key(this.random);
    const spki = publicKeyInfo(key);
    const san = new x.SubjectAlternativeName(list.map((n) => (isIP(n) ? new x.GeneralName({ iPAddress: n }) : new x.GeneralName({ dNSName: n }))));
    const cert = this.sign(new x.TBSCertificate({
      version: x.Version.v3,
      serialNumber: this.serial(),
      signature: new x.AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 }),
      issuer: this.name,
      validity: new x.Validity({ notBefore: NOT_BEFORE, notAfter: NOT_AFTER }),
      subject: distinguishedName(cn),
      subjectPublicKeyInfo: spki,
      extensions: new x.Extensions([
        extension(x.id_ce_basicConstraints, true, new x.BasicConstraints({ cA: false })),
        extension(x.id_ce_keyUsage, true, keyUsage(x.KeyUsageFlags.digitalSignature)),
        extension(x.id_ce_extKeyUsage, false, new x.ExtendedKeyUsage([x.id_kp_serverAuth, x.id_kp_clientAuth])),
        extension(x.id_ce_subjectAltName, false, san),
        extension(x.id_ce_subjectKeyIdentifier, false, new x.SubjectKeyIdentifier(keyIdentifier(spki))),
        extension(x.id_ce_authorityKeyIdentifier, false, new x.AuthorityKeyIdentifier({ keyIdentifier: new s.OctetString(this.keyId) })),
      ]),
    }));
    const out: Credentials = { key: key.export({ type: 'pkcs8', format: 'pem' }) as string, cert, ca: this.cert };
    this.issued.set(cacheKey, out);
    return out;
  }

  /** RFC 5280 §4.1.2.2: a positive serial of at most 20 octets (16 random ones here). */
  private serial(): ArrayBuffer {
    const b = this.random.fill(new Uint8Array(new ArrayBuffer(16)));
    b[0] = (b[0]! & 0x7f) | 0x01;
    return b.buffer as ArrayBuffer;
  }

  private sign(tbs: TBSCertificate): string {
    const { x, s } = lib();
    const tbsDer = s.AsnConvert.serialize(tbs);
    const signature = sign('sha256', new Uint8Array(tbsDer), this.keyObject);
    const der = s.AsnConvert.serialize(new x.Certificate({
      tbsCertificate: tbs,
      signatureAlgorithm: new x.AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 }),
      signatureValue: new Uint8Array(signature).buffer,
    }));
    return pem('CERTIFICATE', new Uint8Array(der));
  }
}

/** A P-256 private key whose scalar comes from `random`. */
function p256Key(random: Random): KeyObject {
  for (;;) {
    const d = random.fill(new Uint8Array(32));
    const n = BigInt(`0x${Buffer.from(d).toString('hex')}`);
    if (n === 0n || n >= P256_N) continue;
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(d);
    const pub = ecdh.getPublicKey(); // 0x04 || x || y
    return createPrivateKey({
      key: { kty: 'EC', crv: 'P-256', d: b64url(d), x: b64url(pub.subarray(1, 33)), y: b64url(pub.subarray(33, 65)) },
      format: 'jwk',
    });
  }
}

function publicKeyInfo(key: KeyObject): SubjectPublicKeyInfo {
  const { x, s } = lib();
  const der = createPublicKey(key).export({ type: 'spki', format: 'der' });
  return s.AsnConvert.parse(der, x.SubjectPublicKeyInfo);
}

/** RFC 5280 §4.2.1.2 (1): the SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(spki: SubjectPublicKeyInfo): ArrayBuffer {
  return new Uint8Array(createHash('sha1').update(new Uint8Array(spki.subjectPublicKey)).digest()).buffer;
}

function distinguishedName(commonName: string, organization?: string): Name {
  const { x } = lib();
  const rdns: RelativeDistinguishedName[] = [];
  if (organization !== undefined) rdns.push(new x.RelativeDistinguishedName([new x.AttributeTypeAndValue({ type: OID_O, value: new x.AttributeValue({ utf8String: organization }) })]));
  rdns.push(new x.RelativeDistinguishedName([new x.AttributeTypeAndValue({ type: OID_CN, value: new x.AttributeValue({ utf8String: commonName }) })]));
  return new x.Name(rdns);
}

function keyUsage(flags: number): KeyUsage {
  const { x } = lib();
  const k = new x.KeyUsage();
  k.fromNumber(flags);
  return k;
}

function extension(id: string, critical: boolean, value: unknown): Extension {
  const { x, s } = lib();
  return new x.Extension({ extnID: id, critical, extnValue: new s.OctetString(s.AsnConvert.serialize(value)) });
}

function b64url(b: Uint8Array): string {
  return Buffer.from(b).toString('base64url');
}

function pem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
