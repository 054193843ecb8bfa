/**
 * @module lib/secret-box — AES-256-GCM for secrets at rest (gateway credentials).
 * Format: `v1.<iv>.<tag>.<ciphertext>` in base64url.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

export interface SecretBox {
  seal(plain: string): string;
  open(sealed: string): string;
  /** A keyed MAC (HMAC-SHA256, base64url) for tokens the server hands out and checks later. */
  mac(text: string): string;
}

/** Reads a 32-byte key given as 64 hex digits or base64/base64url. */
export function parseKey(text: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== 32) {
    throw new Error('ROLLCALL_SECRET_KEY must be 32 bytes, as 64 hex digits or base64.');
  }
  return key;
}

export function createSecretBox(key: Buffer): SecretBox {
  // A separate key for MACs, so a MAC never reuses the encryption key directly.
  const macKey = createHmac('sha256', key).update('rollcall mac key v1').digest();
  return {
    mac(text) {
      return createHmac('sha256', macKey).update(text, 'utf8').digest('base64url');
    },
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
    },
    open(sealed) {
      const [version, iv, tag, data] = sealed.split('.');
      if (version !== 'v1' || !iv || !tag || data === undefined) {
        throw new Error('Unrecognised sealed secret');
      }
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}
