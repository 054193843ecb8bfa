/**
 * @module providers/http/http.template — the placeholders of the generic HTTP gateway's templates:
 * {to} (E.164), {to_digits} (E.164 without the plus), {text}, {from}, {message_id} (ours) and
 * {status_url} (our delivery-report webhook). In a URL each value is URL-encoded; in a body or a
 * header it is inserted as it is (the JSON or form encoder escapes it).
 */

export const PLACEHOLDERS = ['to', 'to_digits', 'text', 'from', 'message_id', 'status_url'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type TemplateValues = Record<Placeholder, string>;

const PATTERN = /\{([a-z_]+)\}/g;

/** Throws a plain message when a template names a placeholder that does not exist. */
export function checkTemplate(template: string, where: string): void {
  for (const m of template.matchAll(PATTERN)) {
    if (!(PLACEHOLDERS as readonly string[]).includes(m[1] as string)) {
      throw new Error(`${where}: {${m[1]}} is not a placeholder; use ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}.`);
    }
  }
}

/** Fills a template; `encode` is applied to each inserted value (encodeURIComponent for URLs). */
export function fillTemplate(template: string, values: TemplateValues, encode: (v: string) => string = (v) => v): string {
  return template.replace(PATTERN, (whole, name: string) => ((PLACEHOLDERS as readonly string[]).includes(name) ? encode(values[name as Placeholder]) : whole));
}

/** Values to check a URL template with: what it becomes must be an http(s) URL. */
export const SAMPLE_VALUES: TemplateValues = { to: '+15550100', to_digits: '15550100', text: 'hello', from: 'SENDER', message_id: '00000000-0000-4000-8000-000000000000', status_url: 'https://rollcall.example/webhooks/key/status' };
