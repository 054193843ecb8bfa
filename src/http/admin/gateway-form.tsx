/**
 * @module http/admin/gateway-form — the config part of the gateway forms, generated from the
 * provider's `configFields`: one labelled input per field with its help underneath. The form works
 * on raw text (what was typed), so a refused form comes back as typed. Secret fields are
 * write-only: their value is never put back into the page; on edit, blank keeps the stored one.
 */
import { configValue, withConfigValue } from '../../providers/config-fields.ts';
import type { ConfigField } from '../../providers/provider.ts';
import { formValue } from './ui.tsx';

/** Raw form text per field key (checkboxes: "true" when ticked). */
export type ConfigFormValues = Record<string, string>;

const inputName = (key: string) => `config.${key}`;
const inputId = (key: string) => `f-config-${key.replace(/[^A-Za-z0-9_-]/g, '-')}`;

/** What the create form starts with: each field's default. */
export function defaultFormValues(fields: readonly ConfigField[]): ConfigFormValues {
  const out: ConfigFormValues = {};
  for (const f of fields) {
    if (f.default !== undefined) {
      out[f.key] = String(f.default);
    }
  }
  return out;
}

/** Stored config → form text (secrets are never included). */
export function storedFormValues(fields: readonly ConfigField[], config: Record<string, unknown>): ConfigFormValues {
  const out: ConfigFormValues = {};
  for (const f of fields) {
    const v = configValue(config, f.key);
    if (!f.secret && v !== undefined && v !== null) {
      out[f.key] = typeof v === 'object' ? JSON.stringify(v) : String(v);
    }
  }
  return out;
}

/** What was typed, for showing the form again (secrets dropped: they are not echoed). */
export function typedFormValues(fields: readonly ConfigField[], body: unknown): ConfigFormValues {
  const out: ConfigFormValues = {};
  for (const f of fields) {
    if (f.secret) {
      continue;
    }
    const raw = formValue(body, inputName(f.key));
    out[f.key] = f.kind === 'boolean' ? (raw === '' ? 'false' : 'true') : raw;
  }
  return out;
}

/**
 * The posted form → a config for validateConfig. Blank fields are left out (defaults apply, and a
 * blank secret on edit keeps the stored one); numbers become numbers when they read as one (else the
 * text goes on, and validateConfig names the field); checkboxes become true/false.
 */
export function configFromForm(fields: readonly ConfigField[], body: unknown): Record<string, unknown> {
  let config: Record<string, unknown> = {};
  for (const f of fields) {
    const raw = formValue(body, inputName(f.key));
    let value: unknown;
    if (f.kind === 'boolean') {
      value = raw !== '';
    } else if (raw.trim() === '') {
      continue;
    } else if (f.kind === 'number') {
      const n = Number(raw.trim());
      value = Number.isFinite(n) ? n : raw;
    } else {
      value = f.kind === 'textarea' || f.secret ? raw : raw.trim();
    }
    config = withConfigValue(config, f.key, value);
  }
  return config;
}

function FieldInput(props: { f: ConfigField; value: string; stored: boolean; reenter: boolean; describedBy: string }): JSX.Element {
  const { f } = props;
  const id = inputId(f.key);
  const name = inputName(f.key);
  if (f.secret) {
    return (
      <input
        id={id}
        name={name}
        type="password"
        autocomplete="new-password"
        value=""
        placeholder={props.reenter ? 'enter it again' : props.stored ? '•••••• stored — leave blank to keep' : (f.placeholder ?? '')}
        required={props.reenter || (f.required && !props.stored)}
        aria-invalid={props.reenter ? 'true' : undefined}
        aria-describedby={props.describedBy}
      />
    );
  }
  if (f.kind === 'boolean') {
    return <input id={id} name={name} type="checkbox" value="true" checked={props.value === 'true'} aria-describedby={props.describedBy} />;
  }
  if (f.kind === 'select') {
    return (
      <select id={id} name={name} required={f.required} aria-describedby={props.describedBy}>
        {f.default === undefined ? <option value="">{f.required ? 'Choose…' : '(none)'}</option> : ''}
        {(f.options ?? []).map((o) => (
          <option value={o} selected={props.value === o} safe>
            {o}
          </option>
        ))}
      </select>
    );
  }
  if (f.kind === 'textarea') {
    return (
      <textarea id={id} name={name} rows="4" required={f.required} placeholder={f.placeholder ?? ''} aria-describedby={props.describedBy} safe>
        {props.value}
      </textarea>
    );
  }
  return (
    <input
      id={id}
      name={name}
      type={f.kind === 'url' ? 'url' : 'text'}
      inputmode={f.kind === 'number' ? 'numeric' : undefined}
      value={props.value}
      placeholder={f.placeholder ?? ''}
      required={f.required}
      aria-describedby={props.describedBy}
    />
  );
}

/**
 * The provider's config inputs, in the provider's order, each with its label and help. `reenter`
 * names stored secrets the last edit must give again (its destination changed): they are marked.
 */
export function ConfigInputs(props: { fields: readonly ConfigField[]; values: ConfigFormValues; storedSecrets?: readonly string[]; reenter?: readonly string[] }): JSX.Element {
  return (
    <>
      {props.fields.map((f) => {
        const id = inputId(f.key);
        const stored = (props.storedSecrets ?? []).includes(f.key);
        const reenter = (props.reenter ?? []).includes(f.key);
        const help = reenter
          ? `${f.help} Enter it again: the gateway now sends to another host, so the stored value is not sent there unasked.`
          : stored
            ? `${f.help} A value is stored; leave this blank to keep it.`
            : f.help;
        return (
          <div class="config-field">
            <label for={id}>
              <span safe>{f.label}</span>
              {f.required ? <span class="muted"> (required)</span> : ''}
            </label>
            <FieldInput f={f} value={props.values[f.key] ?? ''} stored={stored} reenter={reenter} describedBy={`${id}-help`} />
            <p class="help" id={`${id}-help`} safe>
              {help}
            </p>
          </div>
        );
      })}
    </>
  );
}
