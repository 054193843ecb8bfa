/**
 * @module providers/provider — the contract every gateway provider implements.
 * A provider is code for one vendor; a gateway is a configured record naming a provider.
 * Providers sort failures into retryable (network, 5xx, 429) and permanent (bad number, bad
 * credentials, content refused), and always return the vendor's message id on success.
 */
import type { Channel } from '../domain/gateway.ts';
import type { HostPolicy } from './outbound-hosts.ts';

export interface OutboundMessage {
  /** Our message id; idempotent providers use it to recognise a resend. */
  id: string;
  /** E.164 number for SMS, address for email. */
  to: string;
  text: string;
  subject: string | null;
  /** 1 for the first try. */
  attempt: number;
  /** Email only: the one-click unsubscribe URL for the List-Unsubscribe header (RFC 8058). */
  unsubscribeUrl?: string | null;
  /** Where the vendor should post delivery reports for this message (our status webhook). */
  statusCallbackUrl?: string | null;
}

export type SendOutcome =
  | { ok: true; providerMessageId: string }
  | {
      ok: false;
      retryable: boolean;
      /** The vendor's own words (code and message), kept on the message as errorDetail. */
      reason: string;
      retryAfterMs?: number | undefined;
      /** The vendor says the person opted out there (e.g. Twilio 21610): recorded as an opt-out. */
      optedOut?: boolean | undefined;
    };

/** What a provider needs of the gateway record: its decrypted config and identity. */
export interface GatewayRuntime {
  id: string;
  name: string;
  type: string;
  config: Record<string, unknown>;
  replyToNumber: string | null;
}

/** A message the test providers "sent", as their outbox keeps it. */
export interface OutboxRecord {
  messageId: string;
  to: string;
  text: string;
  subject: string | null;
  providerMessageId: string;
}

/** Where the test providers record what they send (the test_outbox table, in the store). */
export interface OutboxPort {
  /**
   * Records the messages once each; returns message id → provider id for all of them (a message
   * recorded before keeps its first provider id).
   */
  record(gatewayId: string, entries: readonly OutboxRecord[]): Promise<Map<string, string>>;
}

export interface ProviderDeps {
  outbox: OutboxPort;
  /** Which hosts vendor calls may reach (ROLLCALL_ALLOW_PRIVATE_GATEWAY_HOSTS). */
  hosts: HostPolicy;
}

/** A webhook request as the provider sees it. */
export interface WebhookRequest {
  headers: Record<string, string | string[] | undefined>;
  /** Parsed body (JSON object or form fields), as the HTTP layer understood it. */
  body: unknown;
  /** The full public URL the vendor called (for signature checks). */
  url: string;
}

export interface InboundMessage {
  from: string;
  text: string;
  /** The vendor's id for the message, used to accept a repeated delivery only once. */
  gatewayMessageId: string | null;
}

export type InboundParse = { ok: true; messages: InboundMessage[] } | { ok: false; status: 400 | 403; reason: string };

/** A delivery report, mapped from the vendor's status through an exhaustive table. */
export interface StatusUpdate {
  providerMessageId: string;
  status: 'sent' | 'delivered' | 'failed';
  /** The vendor's reason for a failure (code and words). */
  reason: string | null;
  /** The status as the vendor wrote it. */
  vendorStatus: string;
  /** The vendor says the person opted out there (e.g. Twilio 21610 on an undelivered report): recorded as an opt-out. */
  optedOut?: boolean | undefined;
}

export type StatusParse =
  | {
      ok: true;
      updates: StatusUpdate[];
      /** Vendor statuses with no mapping: logged, never guessed. Also intermediate ones (queued, sending) the log ignores. */
      ignored: string[];
    }
  | { ok: false; status: 400 | 403; reason: string };

/** What the webhook answers a vendor that expects a particular body (Twilio: empty TwiML). */
export interface WebhookAnswer {
  contentType: string;
  body: string;
}

/**
 * One field of a provider's config, as the admin UI's gateway form shows it. `secret` fields are
 * write-only: the form never shows their value back, and leaving them blank on edit keeps them.
 */
export interface ConfigField {
  key: string;
  label: string;
  /** One sentence: where to find the value in the vendor's console, or what it changes. */
  help: string;
  required: boolean;
  secret: boolean;
  kind: 'text' | 'url' | 'number' | 'boolean' | 'select' | 'textarea';
  /** For kind 'select'. */
  options?: readonly string[];
  placeholder?: string;
  /** What the create form starts with (Default: blank; booleans unchecked). */
  default?: string | number | boolean;
}

export interface Provider {
  readonly type: string;
  /** The vendor's name as people know it (e.g. "Africa's Talking"). */
  readonly label?: string;
  /** The config fields, in form order; validateConfig stays the authority on what is valid. */
  readonly configFields?: readonly ConfigField[];
  readonly channel: Channel;
  /**
   * True when resending a message id the vendor already accepted cannot send it twice. Messages
   * caught mid-send by a worker crash are resent only through idempotent providers; otherwise they
   * fail with GATEWAY_ERROR ("outcome unknown") rather than risk a duplicate.
   */
  readonly idempotent: boolean;
  /**
   * How many messages the provider sends at once. The dispatcher hands it a batch in groups of
   * this size and checks opt-outs again before each group, so a STOP that takes effect mid-batch
   * stops the rest of the batch (Default: 25).
   */
  readonly sendGroupSize?: number | undefined;
  /** Default messages per second when the gateway sets none (undefined: unlimited). */
  readonly defaultRatePerSecond?: number | undefined;
  /**
   * Where requests carrying the config's secrets go (scheme, host and port; Default: nowhere). An
   * edit that changes it must enter the secrets again, so they are never sent to a new host unasked.
   */
  destination?(config: Record<string, unknown>): string;
  /** Validates and normalises the config when a gateway is created or edited; throws a message. */
  validateConfig(config: Record<string, unknown>): Record<string, unknown>;
  /** Sends messages; one outcome per message, in order. Must not throw for a per-message failure. */
  send(gateway: GatewayRuntime, messages: readonly OutboundMessage[]): Promise<SendOutcome[]>;
  /** Reads an inbound webhook (authenticating it when the vendor signs requests). */
  parseInbound?(gateway: GatewayRuntime, request: WebhookRequest): InboundParse;
  /** Reads a delivery-status webhook (authenticating it when the vendor signs requests). */
  parseStatus?(gateway: GatewayRuntime, request: WebhookRequest): StatusParse;
  /** The body to answer webhooks with (Default: JSON {"status":"ok"}). */
  readonly webhookAnswer?: WebhookAnswer | undefined;
  /** Where to paste each webhook URL in the vendor's console (one sentence each), for the gateways page. */
  readonly webhookHelp?: { inbound?: string; status?: string } | undefined;
  /** Releases what the provider holds open (connection pools); called once at shutdown. */
  close?(): Promise<void>;
}

export type ProviderFactory = (deps: ProviderDeps) => Provider;

export interface ProviderRegistry {
  get(type: string): Provider | undefined;
  types(): string[];
  /** Closes every provider's open connections (at shutdown). */
  close(): Promise<void>;
}
