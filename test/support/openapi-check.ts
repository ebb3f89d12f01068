import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/**
 * Checks an answer against the OpenAPI document the API publishes (`/openapi.json`): the operation
 * must document the status, and the body must match that status's schema (ajv, JSON Schema
 * 2020-12, as OpenAPI 3.1 uses). Every call of the API suite goes through it (test/support/api.ts).
 */
export interface OpenApiDoc { paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }>> }

export function answerChecker(doc: OpenApiDoc) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ ...doc, $id: 'api' });
  const operations = Object.keys(doc.paths).map((template) => ({
    template,
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }));
  const compiled = new Map<string, ValidateFunction>();

  /** Throws, naming the operation and what differs, when the answer is not what the spec says. */
  return function check(method: string, url: string, status: number, body: unknown): void {
    const path = new URL(url, 'http://api').pathname;
    const op = operations.find((o) => o.pattern.test(path));
    const operation = op && doc.paths[op.template]?.[method.toLowerCase()];
    if (!op || !operation) return; // not an operation of the spec (an unknown route's 404, /health)
    const response = operation.responses?.[String(status)];
    if (!response) throw new Error(`${method} ${op.template} answered ${status}, which the spec does not document`);
    if (!response.content?.['application/json']?.schema) return;
    const pointer = `api#/paths/${op.template.replaceAll('~', '~0').replaceAll('/', '~1')}/${method.toLowerCase()}/responses/${status}/content/application~1json/schema`;
    let validate = compiled.get(pointer);
    if (!validate) {
      validate = ajv.compile({ $ref: pointer });
      compiled.set(pointer, validate);
    }
    if (!validate(body)) {
      throw new Error(`${method} ${op.template} ${status}: the answer does not match the spec: ${ajv.errorsText(validate.errors)}`);
    }
  };
}
