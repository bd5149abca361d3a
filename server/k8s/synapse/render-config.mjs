// Fills ${NAME} and ${NAME:-default} placeholders of a configuration template from an environment.
// Plain dependency-free JavaScript: the production init container runs it with a bare `node` image,
// and the local homeserver tooling imports it, so both render the same template the same way.
import { readFileSync, writeFileSync } from 'node:fs';

const PLACEHOLDER = /\$\{([A-Z][A-Z0-9_]*)(?::-((?:[^{}]|\{[^{}]*\})*))?\}/g;

export class RenderError extends Error {
  constructor(message, missing = []) {
    super(message);
    this.name = 'RenderError';
    this.missing = missing;
  }
}

/** Substitutes placeholders (defaults may themselves hold placeholders); throws naming every unset variable. */
export function renderTemplate(template, env, source = 'template') {
  const missing = new Set();
  const fill = (text, depth) =>
    text.replace(PLACEHOLDER, (_match, name, fallback) => {
      const value = env[name];
      if (value !== undefined && value !== '') return value;
      if (fallback !== undefined) return depth > 4 ? fallback : fill(fallback, depth + 1);
      missing.add(name);
      return '';
    });
  const rendered = fill(template, 0);
  if (missing.size > 0) {
    const names = [...missing].sort();
    throw new RenderError(
      `${source}: no value for ${names.join(', ')} (set it in the environment or .env)`,
      names,
    );
  }
  const left = rendered.match(/\$\{[^}]*\}/);
  if (left) throw new RenderError(`${source}: unfilled placeholder ${left[0]}`);
  return rendered;
}

/** Every variable a template uses, with whether it has a default. */
export function templateVariables(template) {
  const found = new Map();
  for (const match of template.matchAll(PLACEHOLDER)) {
    const [, name, fallback] = match;
    found.set(name, found.get(name) === false ? false : fallback !== undefined);
    if (fallback)
      for (const [inner, has] of templateVariables(fallback)) if (!found.has(inner)) found.set(inner, has);
  }
  return found;
}

// CLI: node render-config.mjs <template> <output>  (values from process.env)
if (import.meta.url === `file://${process.argv[1]}`) {
  const [templatePath, outputPath] = process.argv.slice(2);
  if (!templatePath || !outputPath) {
    console.error('usage: node render-config.mjs <template> <output>');
    process.exit(2);
  }
  try {
    writeFileSync(outputPath, renderTemplate(readFileSync(templatePath, 'utf8'), process.env, templatePath));
    console.log(`rendered ${templatePath} -> ${outputPath}`);
  } catch (error) {
    console.error(String(error.message ?? error));
    process.exit(1);
  }
}
