/**
 * @module providers/vendor-webhook — reading a vendor's webhook request: headers, form fields and
 * flat bodies, as the HTTP layer parsed them.
 */

/** One header's value (the first when repeated). */
export function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** A form field as the HTTP layer parsed it: the first value of a repeated field, else the text. */
export function formField(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (Array.isArray(v)) {
    return typeof v[0] === 'string' ? v[0] : undefined;
  }
  return typeof v === 'string' ? v : undefined;
}

/** The parsed body as a plain object of form fields, or null when it is not one. */
export function formBody(body: unknown): Record<string, unknown> | null {
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
}

/** The body of a form or JSON webhook as a flat record of strings (non-string values dropped). */
export function stringFields(body: unknown): Record<string, string> | null {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    return null;
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (typeof v === 'string') {
      out[k] = v;
    } else if (typeof v === 'number') {
      out[k] = String(v);
    } else if (Array.isArray(v) && typeof v[0] === 'string') {
      out[k] = v[0];
    }
  }
  return out;
}
