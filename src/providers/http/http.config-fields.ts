/**
 * @module providers/http/http.config-fields — the generic HTTP gateway's form fields, in order.
 */
import type { ConfigField } from '../provider.ts';

const f = (key: string, label: string, help: string, kind: ConfigField['kind'], extra: Partial<ConfigField> = {}): ConfigField => ({ key, label, help, kind, required: false, secret: false, ...extra });

export const httpConfigFields: readonly ConfigField[] = [
  f('url', 'URL template', 'The address called for each message, from your aggregator\'s or Kannel\'s manual; placeholders {to}, {to_digits}, {text}, {from}, {message_id}, {status_url} are URL-encoded. Write-only, as it often holds a password.', 'url', { required: true, secret: true, placeholder: 'http://kannel:13013/cgi-bin/sendsms?username=rollcall&password=…&to={to}&text={text}' }),
  f('method', 'Method', 'GET puts everything in the URL (Kannel); POST also sends the body below (Default: GET).', 'select', { options: ['GET', 'POST'] }),
  f('bodyFormat', 'Body format', 'For POST: form-encoded or JSON (Default: form).', 'select', { options: ['form', 'json'] }),
  f('body', 'Body template', 'For POST: a JSON object of field → template, values inserted raw (Default: {"to": "{to}", "text": "{text}"}).', 'textarea', { placeholder: '{"to": "{to}", "text": "{text}"}' }),
  f('headers', 'Headers', 'A JSON object of extra headers, e.g. the aggregator\'s auth header. Write-only.', 'textarea', { secret: true, placeholder: '{"Authorization": "Bearer …"}' }),
  f('from', 'Sender', 'The value of {from}: your sender id, short code or number at the aggregator.', 'text'),
  f('successStatuses', 'Success statuses', 'HTTP statuses that mean accepted, e.g. "2xx" or "200,202" (Default: 2xx); 5xx, 408, 425 and 429 are retried, other statuses fail the message.', 'text', { placeholder: '2xx' }),
  f('successPattern', 'Success pattern', 'A pattern the answer must match too, e.g. ^0: Accepted for Kannel; blank accepts any answer. Regular-expression syntax without back-references, look-around or \\b (see docs/gateways.md).', 'text'),
  f('messageIdPattern', 'Message id pattern', 'A pattern whose first group is the aggregator\'s message id in a text answer, e.g. id=(\\w+); blank keeps our own message id.', 'text'),
  f('messageIdPath', 'Message id JSON path', 'For JSON answers: where the message id is, e.g. messages.0.id.', 'text'),
  f('timeoutMs', 'Timeout (ms)', 'How long to wait for an answer before retrying later (Default: 15000).', 'number'),
  f('inboundFromField', 'Inbound: sender field', 'The field (form, JSON or query string) holding the sender\'s number (Default: from).', 'text'),
  f('inboundTextField', 'Inbound: text field', 'The field holding the message text (Default: text).', 'text'),
  f('inboundIdField', 'Inbound: id field', 'The field holding the aggregator\'s message id, used to store a repeat once (Default: id).', 'text'),
  f('webhookSecret', 'Webhook secret', 'A long random value the aggregator sends with each callback, in the header or field below; blank means the webhook URL alone authenticates.', 'text', { secret: true }),
  f('webhookSecretHeader', 'Webhook secret header', 'The header carrying the secret (Default: X-Webhook-Secret).', 'text'),
  f('webhookSecretField', 'Webhook secret field', 'Or the field (body or query string) carrying it (Default: secret).', 'text'),
  f('statusIdField', 'Status: id field', 'The delivery report field holding the message id (ours if you put {message_id} in the callback URL) (Default: id).', 'text'),
  f('statusField', 'Status: status field', 'The delivery report field holding the status (Default: status).', 'text'),
  f('statusReasonField', 'Status: reason field', 'The field holding the failure reason, if any.', 'text'),
  f('statusMap', 'Status map', 'A JSON object from the aggregator\'s status values to sent, delivered, failed or ignored; Kannel: {"1":"delivered","2":"failed","4":"ignored","8":"sent","16":"failed"}.', 'textarea'),
];
