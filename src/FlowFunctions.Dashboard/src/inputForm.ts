// A start-run form generated from a spec's declared inputs (docs/spec.md#3-inputs).
import { parse } from 'yaml';

export type InputType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array';

export interface InputField {
  name: string;
  type: InputType;
  required: boolean;
  default?: unknown;
  description?: string;
}

const types: InputType[] = ['string', 'number', 'integer', 'boolean', 'object', 'array'];

/** The declared inputs of a spec text (YAML or JSON), in declaration order. */
export function inputFields(specText: string): InputField[] {
  const spec = parse(specText) as { inputs?: Record<string, Record<string, unknown>> } | null;
  return Object.entries(spec?.inputs ?? {}).map(([name, d]) => ({
    name,
    type: types.includes(d?.type as InputType) ? (d.type as InputType) : 'string',
    required: d?.required === true,
    ...(d?.default !== undefined ? { default: d.default } : {}),
    ...(typeof d?.description === 'string' ? { description: d.description } : {}),
  }));
}

/** The text a field starts with: its default, as the user would type it. */
export function initialText(field: InputField): string {
  if (field.default === undefined) return '';
  if (field.type === 'object' || field.type === 'array') return JSON.stringify(field.default, null, 2);
  return String(field.default);
}

/**
 * The run's `inputs` from the form's texts. An empty optional field is left out (the host applies its default);
 * problems name the field and what to type.
 */
export function collectInputs(fields: InputField[], texts: Record<string, string>): { inputs: Record<string, unknown>; errors: string[] } {
  const inputs: Record<string, unknown> = {};
  const errors: string[] = [];
  for (const f of fields) {
    const text = (texts[f.name] ?? '').trim();
    if (text === '') {
      if (f.required && f.default === undefined) errors.push(`${f.name} is required (${f.type})`);
      continue;
    }
    switch (f.type) {
      case 'string':
        inputs[f.name] = texts[f.name];
        break;
      case 'boolean':
        if (text !== 'true' && text !== 'false') errors.push(`${f.name} must be true or false`);
        else inputs[f.name] = text === 'true';
        break;
      case 'number':
      case 'integer': {
        const n = Number(text);
        if (!Number.isFinite(n)) errors.push(`${f.name} must be a number, not '${text}'`);
        else if (f.type === 'integer' && !Number.isInteger(n)) errors.push(`${f.name} must be a whole number, not ${text}`);
        else inputs[f.name] = n;
        break;
      }
      default: {
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          errors.push(`${f.name} must be JSON (${f.type === 'array' ? '[...]' : '{...}'})`);
          break;
        }
        const ok = f.type === 'array' ? Array.isArray(value) : typeof value === 'object' && value !== null && !Array.isArray(value);
        if (ok) inputs[f.name] = value;
        else errors.push(`${f.name} must be a JSON ${f.type}`);
      }
    }
  }
  return { inputs, errors };
}
