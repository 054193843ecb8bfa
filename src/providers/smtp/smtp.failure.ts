/**
 * @module providers/smtp/smtp.failure — sorts nodemailer's errors into retryable and permanent.
 * SMTP says it in the reply code: 5xx is permanent (550 mailbox unavailable, 553 bad address,
 * 535 authentication failed, 554 refused), 4xx is "try again later" (421, 450, 451, 452).
 * Without a reply code: bad login or TLS/certificate trouble is permanent (only a config change
 * fixes it); connection refused, resets, DNS trouble and timeouts are retryable.
 */

export interface SmtpFailure {
  retryable: boolean;
  reason: string;
}

interface NodemailerError {
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  message?: unknown;
  cause?: unknown;
}

/** Codes without an SMTP reply that no retry can fix. */
const PERMANENT_CODES = new Set(['EAUTH', 'ENOAUTH', 'EOAUTH2', 'ETLS', 'EREQUIRETLS', 'ECONFIG', 'EENVELOPE', 'EMAXRECIPIENTS']);
const CERTIFICATE = /certificate|self[- ]signed|CERT_|ERR_TLS_|wrong version number/i;
const MAX_REASON = 500;

/** Removes every secret (the password) from a text that came from the server or the library. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length >= 3) {
      out = out.split(s).join('***');
    }
  }
  return out;
}

export function classifySmtpError(err: unknown, secrets: readonly string[]): SmtpFailure {
  const e = (err ?? {}) as NodemailerError;
  const code = typeof e.code === 'string' ? e.code : null;
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : null;
  const words = typeof e.response === 'string' && e.response ? e.response : typeof e.message === 'string' ? e.message : String(err);
  const causeCode = (e.cause as { code?: unknown } | undefined)?.code;
  const label = responseCode ?? code ?? (typeof causeCode === 'string' ? causeCode : 'error');
  const reason = scrub(`SMTP ${label}: ${words}`, secrets).replace(/\s+/g, ' ').slice(0, MAX_REASON);
  if (responseCode !== null && responseCode >= 500) {
    return { retryable: false, reason };
  }
  if (responseCode !== null && responseCode >= 400) {
    return { retryable: true, reason };
  }
  if ((code !== null && PERMANENT_CODES.has(code)) || CERTIFICATE.test(words)) {
    return { retryable: false, reason };
  }
  return { retryable: true, reason };
}
