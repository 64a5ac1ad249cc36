import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { StartRunForm } from '../src/components/WorkflowsPage';
import { collectInputs, initialText, inputFields } from '../src/inputForm';

const spec = `name: inputs-demo
inputs:
  region:  { type: string, default: eu, description: Azure region }
  limit:   { type: integer, default: 10 }
  dryRun:  { type: boolean, default: false }
  files:   { type: array, default: [a.csv, b.csv] }
  amount:  { type: number, required: true }
nodes:
  - { id: show, type: echo }
`;

afterEach(cleanup);

describe('input form generation', () => {
  it('reads types, defaults, required and descriptions in declaration order', () => {
    const fields = inputFields(spec);
    expect(fields.map((f) => f.name)).toEqual(['region', 'limit', 'dryRun', 'files', 'amount']);
    expect(fields[0]).toEqual({ name: 'region', type: 'string', required: false, default: 'eu', description: 'Azure region' });
    expect(fields[4]).toEqual({ name: 'amount', type: 'number', required: true });
    expect(initialText(fields[3])).toBe('[\n  "a.csv",\n  "b.csv"\n]');
  });

  it('converts texts to typed inputs, leaves empty optional ones to their defaults and names bad fields', () => {
    const fields = inputFields(spec);
    expect(collectInputs(fields, { region: 'us', limit: '5', dryRun: 'true', files: '["x"]', amount: '2.5' })).toEqual({
      inputs: { region: 'us', limit: 5, dryRun: true, files: ['x'], amount: 2.5 },
      errors: [],
    });
    expect(collectInputs(fields, { limit: '1.5', files: '{"a":1}' }).errors).toEqual([
      'limit must be a whole number, not 1.5',
      'files must be a JSON array',
      'amount is required (number)',
    ]);
  });

  it('renders one control per input with its default and refuses to start without a required value', () => {
    render(<StartRunForm name="inputs-demo" version={1} specText={spec} />);
    expect((screen.getByLabelText(/^region/) as HTMLInputElement).value).toBe('eu');
    expect((screen.getByLabelText(/^limit/) as HTMLInputElement).type).toBe('number');
    expect(screen.getByLabelText(/^dryRun/).tagName).toBe('SELECT');
    expect(screen.getByLabelText(/^files/).tagName).toBe('TEXTAREA');
    expect(screen.getByText('(number, required)')).toBeTruthy();
    fireEvent.submit(screen.getByRole('form', { name: 'Start a run' }));
    expect(screen.getByRole('alert').textContent).toBe('amount is required (number)');
  });
});
