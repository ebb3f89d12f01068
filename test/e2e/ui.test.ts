import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deliveryWorkflowId } from '../../src/contracts/delivery.js';
import { call } from '../support/api.js';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { driveAll, paidDelivery } from '../support/deliveries.js';

/** Screenshots for a human to look at (gitignored). */
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const WAIT_MS = 30_000;

let browser: TestBrowser;
beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/**
 * Waits until `target` is visible, reloading the page between tries: the list is read from the
 * visibility store, which catches up with a workflow's search attributes a moment after the change.
 */
async function reloadUntilVisible(page: Page, target: Locator, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    try {
      await target.waitFor({ state: 'visible', timeout: Math.max(1_000, Math.min(5_000, left)) });
      return;
    } catch (err) {
      if (Date.now() >= deadline) throw new Error(`not visible after ${timeoutMs} ms of reloading ${page.url()}: ${String(err)}`);
      await page.reload({ waitUntil: 'domcontentloaded' });
    }
  }
}

// The UI exists whenever the tests start the dev server; with TEMPORAL_ADDRESS (an external
// cluster) the system has no UI of its own and temporalUiUrl is empty.
const temporalUi = inject('temporalUiUrl');

describe.skipIf(!temporalUi)('the Temporal Web UI', () => {
  it('lists the delivery under DeliveryStatus = "REVIEWING", opens it and shows its summary', async () => {
    // A delivery that is not REVIEWING must stay out of the filtered list; started first, so its
    // visibility record is older than the one the list is waited for.
    const untouched = await paidDelivery(2_000);
    const d = await paidDelivery(10_000, [2_500]);
    await driveAll(d, ['start', 'submit']);
    const order = (await call('GET', `/api/v1/orders/${d.orderId}`, { token: d.customer.token })).body.data;
    expect(order.delivery.status).toBe('REVIEWING');
    const workflowId = deliveryWorkflowId(d.orderId);
    const summary = `Delivery of ${order.service_name} to customer #${d.customer.id}, ${d.total} ${order.currency} in escrow`;

    const page = await browser.context.newPage();
    const query = 'DeliveryStatus = "REVIEWING"';
    await page.goto(`${temporalUi}/namespaces/default/workflows?query=${encodeURIComponent(query)}`, { waitUntil: 'domcontentloaded' });

    // The list: the UI took the query from the URL (its filter chip), and our delivery is a row.
    const table = page.locator('table', { has: page.locator('caption', { hasText: 'Workflows' }) });
    const row = table.getByRole('link', { name: workflowId, exact: true });
    await reloadUntilVisible(page, row);
    const filterBar = await page.getByRole('button', { name: /DeliveryStatus\s*=\s*"REVIEWING"/ }).first().innerText({ timeout: WAIT_MS });
    expect(filterBar.replace(/\s+/g, ' ')).toContain('DeliveryStatus = "REVIEWING"');
    const listedUntouched = await table.getByRole('link', { name: deliveryWorkflowId(untouched.orderId), exact: true }).count();
    expect(listedUntouched, 'a delivery still NEW is listed under DeliveryStatus = "REVIEWING"').toBe(0);
    await page.screenshot({ path: `${ARTIFACTS}ui-workflows.png` });

    // The workflow's page: header with its ID, then the User Metadata tab, whose "Summary" section
    // renders the static summary (as markdown, inside an iframe served from the UI's /render).
    await row.click();
    await page.getByRole('heading', { name: workflowId }).first().waitFor({ state: 'visible', timeout: WAIT_MS });
    await page.getByRole('tab', { name: 'User Metadata' }).click();
    await page.waitForURL(/\/user-metadata$/, { timeout: WAIT_MS });
    const summaryFrame = page
      .locator('xpath=//h3[normalize-space()="Summary"]/../following-sibling::section[1]//iframe')
      .contentFrame();
    const summaryText = summaryFrame.getByText(summary, { exact: true });
    await summaryText.waitFor({ state: 'visible', timeout: WAIT_MS });
    expect((await summaryFrame.locator('body').innerText()).trim()).toBe(summary);
    await page.screenshot({ path: `${ARTIFACTS}ui-delivery.png` });
  }, 90_000);
});

describe('the API docs', () => {
  it('lists every operation of /openapi.json on /docs', async () => {
    const apiUrl = inject('apiUrl');
    const doc = await (await fetch(`${apiUrl}/openapi.json`)).json() as { paths: Record<string, Record<string, unknown>> };
    const methods = ['get', 'post', 'put', 'patch', 'delete'];
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).filter((m) => methods.includes(m)).map((method) => ({ method, path })));
    expect(operations).toContainEqual({ method: 'post', path: '/api/v1/orders' });

    const page = await browser.context.newPage();
    await page.goto(`${apiUrl}/docs`, { waitUntil: 'domcontentloaded' });
    await page.getByRole('heading', { name: /Marketplace orders/ }).waitFor({ state: 'visible', timeout: WAIT_MS });
    const placeOrder = page.locator('.opblock-post', { has: page.locator('.opblock-summary-path[data-path="/api/v1/orders"]') });
    await placeOrder.waitFor({ state: 'visible', timeout: WAIT_MS });
    expect((await placeOrder.locator('.opblock-summary').innerText()).replace(/\s+/g, ' ')).toContain('POST /api/v1/orders Place and pay for an order');

    // Every operation of the document is a visible block showing its method and path.
    for (const { method, path } of operations) {
      const block = page.locator(`.opblock-${method}`, { has: page.locator(`.opblock-summary-path[data-path="${path}"]`) });
      await block.waitFor({ state: 'visible', timeout: WAIT_MS });
      const text = await block.locator('.opblock-summary').innerText();
      expect(text, `${method} ${path}`).toContain(method.toUpperCase());
      expect(text.replace(/\s+/g, ''), `${method} ${path}`).toContain(path);
    }
    expect(await page.locator('.opblock').count(), 'operation blocks on /docs').toBe(operations.length);
    await page.screenshot({ path: `${ARTIFACTS}docs.png`, fullPage: true });
  }, 60_000);
});
