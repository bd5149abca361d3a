export class RenderError extends Error {
  readonly missing: string[];
}
export function renderTemplate(
  template: string,
  env: Record<string, string | undefined>,
  source?: string,
): string;
export function templateVariables(template: string): Map<string, boolean>;
