/**
 * @module http/admin/components/form — forms as UI.md wants them: parsed with zod like the API,
 * every error reported at once with the field's label (a summary at the top linking to each field,
 * and the message under the field with aria-invalid), what was typed kept, and pickers for values
 * that have a fixed set (time zone, language, gateway) or a shape (date-time).
 */
import { getCountries } from 'libphonenumber-js/max';
import type { z } from 'zod';

/** Field name → what is wrong with it, in words. `_form` holds a problem of the whole form. */
export type FieldErrors = Record<string, string>;

export type FormResult<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors };

/** One string per field: the first of repeated values; files and other shapes are dropped. */
export function formFields(body: unknown): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (body && typeof body === 'object') {
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
      const first = Array.isArray(v) ? v[0] : v;
      if (typeof first === 'string' && k !== '_csrf') {
        out[k] = first;
      }
    }
  }
  return out;
}

/** Every value of a repeated field (checkboxes named alike). */
export function formList(body: unknown, name: string): string[] {
  const v = (body as Record<string, unknown> | null)?.[name];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string' && x !== '');
}

/** Parses a form body with a zod schema; on failure, one message per field (the first issue of each). */
export function parseForm<S extends z.ZodType>(schema: S, body: unknown): FormResult<z.infer<S>> {
  const result = schema.safeParse(formFields(body));
  if (result.success) {
    return { ok: true, value: result.data };
  }
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const field = typeof issue.path[0] === 'string' ? issue.path[0] : '_form';
    errors[field] ??= issue.message;
  }
  return { ok: false, errors };
}

/** The list of every problem at the top of a form, each naming its field by label and linking to it. */
export function ErrorSummary(props: { errors: FieldErrors | null | undefined; labels: Readonly<Record<string, string>> }): JSX.Element {
  const entries = Object.entries(props.errors ?? {});
  if (entries.length === 0) {
    return '';
  }
  return (
    <div class="error" role="alert" tabindex="-1">
      <p safe>{entries.length === 1 ? 'There is a problem with this form:' : `There are ${entries.length} problems with this form:`}</p>
      <ul>
        {entries.map(([field, message]) => {
          const label = props.labels[field];
          return <li>{label ? <a href={`#f-${field}`} safe>{`${label}: ${message}`}</a> : <span safe>{message}</span>}</li>;
        })}
      </ul>
    </div>
  );
}

interface FieldProps {
  label: string;
  name: string;
  help?: string | undefined;
  error?: string | null | undefined;
  required?: boolean | undefined;
}

function Help(props: { id: string; help?: string | undefined; error?: string | null | undefined }): JSX.Element {
  return (
    <>
      {props.help ? (
        <p class="help" id={`${props.id}-help`} safe>
          {props.help}
        </p>
      ) : (
        ''
      )}
      {props.error ? (
        <p class="help field-error" id={`${props.id}-error`} safe>
          {props.error}
        </p>
      ) : (
        ''
      )}
    </>
  );
}

function describedBy(id: string, p: FieldProps): string | undefined {
  const ids = [p.help ? `${id}-help` : '', p.error ? `${id}-error` : ''].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

export function Field(props: FieldProps & { value?: string | null | undefined; type?: string; placeholder?: string; list?: string }): JSX.Element {
  const id = `f-${props.name}`;
  return (
    <div>
      <label for={id} safe>
        {props.label}
      </label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        value={props.value ?? ''}
        required={props.required ?? false}
        placeholder={props.placeholder}
        list={props.list}
        aria-describedby={describedBy(id, props)}
        aria-invalid={props.error ? 'true' : undefined}
      />
      <Help id={id} help={props.help} error={props.error} />
    </div>
  );
}

export function TextArea(props: FieldProps & { value?: string | null | undefined; rows?: number }): JSX.Element {
  const id = `f-${props.name}`;
  return (
    <div>
      <label for={id} safe>
        {props.label}
      </label>
      <textarea id={id} name={props.name} rows={String(props.rows ?? 3)} required={props.required ?? false} aria-describedby={describedBy(id, props)} aria-invalid={props.error ? 'true' : undefined} safe>
        {props.value ?? ''}
      </textarea>
      <Help id={id} help={props.help} error={props.error} />
    </div>
  );
}

export interface Choice {
  value: string;
  label: string;
}

/** A picker of valid values; `blank` adds a first empty choice with that label ("— project default —"). */
export function Select(props: FieldProps & { value?: string | null | undefined; choices: readonly Choice[]; blank?: string }): JSX.Element {
  const id = `f-${props.name}`;
  return (
    <div>
      <label for={id} safe>
        {props.label}
      </label>
      <select id={id} name={props.name} required={props.required ?? false} aria-describedby={describedBy(id, props)} aria-invalid={props.error ? 'true' : undefined}>
        {props.blank !== undefined ? (
          <option value="" safe>
            {props.blank}
          </option>
        ) : (
          ''
        )}
        {props.choices.map((c) => (
          <option value={c.value} selected={c.value === (props.value ?? '')} safe>
            {c.label}
          </option>
        ))}
      </select>
      <Help id={id} help={props.help} error={props.error} />
    </div>
  );
}

/**
 * The choices with the current value kept first when it is not one of them (shown with `note`):
 * a picker never replaces a stored value silently, even one the case view reports as a problem.
 */
export function keepCurrent(choices: readonly Choice[], current: string | null | undefined, note: string): Choice[] {
  const value = current?.trim() ?? '';
  return value === '' || choices.some((c) => c.value === value) ? [...choices] : [{ value, label: `${value} (${note})` }, ...choices];
}

/** A local date-time picker (no zone: the page says which zone applies). */
export function DateTimeField(props: FieldProps & { value?: string | null | undefined }): JSX.Element {
  return <Field {...props} type="datetime-local" />;
}

/** Every IANA time zone the runtime knows (UTC first), for a picker; `current` is kept if the runtime lists it under another name. */
export function timeZoneChoices(current?: string | null): Choice[] {
  const zones = ['UTC', ...Intl.supportedValuesOf('timeZone').filter((z) => z !== 'UTC')];
  if (current && !zones.includes(current)) {
    zones.unshift(current);
  }
  return zones.map((z) => ({ value: z, label: z.replaceAll('_', ' ') }));
}

/** Countries by name with their two-letter code ("Kenya (KE)"), sorted by name, for a picker. */
export function countryChoices(): Choice[] {
  const names = new Intl.DisplayNames(['en'], { type: 'region' });
  return getCountries()
    .map((code) => ({ value: code, label: `${names.of(code) ?? code} (${code})` }))
    .sort((a, b) => a.label.localeCompare(b.label, 'en'));
}

/** Language codes with their English names ("sw — Swahili"). */
export function languageChoices(codes: readonly string[]): Choice[] {
  const names = new Intl.DisplayNames(['en'], { type: 'language' });
  return codes.map((code) => {
    let name = code;
    try {
      name = names.of(code) ?? code;
    } catch {
      // An odd code keeps its own text.
    }
    return { value: code, label: name === code ? code : `${code} — ${name}` };
  });
}
