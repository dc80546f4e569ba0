/**
 * Which failures of a call over TLS retrying does not fix (an untrusted or misnamed
 * certificate, a server that does not speak TLS), as a TlsError that tells the user what to
 * change. Shared by every HTTPS client of the project (HttpKvRpc, shardkv's HttpShardRpc), so
 * they all stop and say so instead of retrying until a deadline. A pure leaf.
 */
import { TlsError } from '../errors.js'

/** Certificate verification failures (OpenSSL's X509 codes as Node reports them). */
const CERTIFICATE_CODES = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY|DECRYPT)|CHAIN|ISSUER/

/**
 * A TlsError when `e`, from a connection over TLS to `host` ("host:port") dialed as
 * `hostname`, is a failure retrying does not fix; undefined for anything else.
 */
export function tlsFailure(host: string, hostname: string, e: Error): TlsError | undefined {
  const code = (e as NodeJS.ErrnoException).code ?? ''
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return new TlsError(
      host,
      code,
      `its certificate does not name ${hostname} (${e.message}); dial an address the certificate lists`,
    )
  if (CERTIFICATE_CODES.test(code))
    return new TlsError(
      host,
      code,
      `its certificate is not trusted (${code}: ${e.message}); trust the cluster's CA (tls.caFile in the cluster file, --ca on the command line)`,
    )
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(e.message))
    return new TlsError(
      host,
      code || 'EPROTO',
      'the server does not speak TLS (an http:// server dialed with https://?)',
    )
  return undefined
}
