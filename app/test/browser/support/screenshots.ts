// Screenshots as test artifacts (app/.artifacts/, git-ignored), each checked: a real, non-empty PNG
// taken while the expected text was on the page.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

export const artifactsDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '.artifacts');

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export async function checkedScreenshot(page: Page, name: string, expectedTexts: string[]): Promise<string> {
  mkdirSync(artifactsDir, { recursive: true });
  // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the text a person sees
  const bodyText = await page.locator('body').innerText();
  for (const text of expectedTexts) {
    assert.ok(
      bodyText.includes(text),
      `the ${name} screenshot should show "${text}"; the page shows:\n${bodyText}`,
    );
  }
  const path = join(artifactsDir, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  const bytes = readFileSync(path);
  assert.ok(bytes.subarray(0, 8).equals(PNG_SIGNATURE), `${path} is not a PNG`);
  assert.ok(statSync(path).size > 5_000, `${path} is suspiciously small (${statSync(path).size} bytes)`);
  // The IHDR chunk holds the width and height: a real viewport, not an empty image.
  assert.ok(bytes.readUInt32BE(16) >= 300 && bytes.readUInt32BE(20) >= 300, `${path} has a tiny size`);
  return path;
}
