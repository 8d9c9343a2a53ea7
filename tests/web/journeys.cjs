// The portal's journeys in a real browser: Debian's chromium driven by
// puppeteer-core, axe-core on every page visited (WCAG 2.1 A and AA), a
// screenshot of each main page. Run by tests/web/browser_test.cc against a
// grantflowd seeded with the demo data and a grantflow-portal in front of
// it; exits 0 only when every journey and every accessibility check passed.
//
//   node journeys.cjs PORTAL_URL OUT_DIR
'use strict';
const path = require('path');
const fs = require('fs');
const webDir = path.resolve(__dirname, '../../web');
const puppeteer = require(path.join(webDir, 'node_modules/puppeteer-core'));
const axeSource = fs.readFileSync(
    path.join(webDir, 'node_modules/axe-core/axe.min.js'), 'utf8');

const base = process.argv[2];
const out = process.argv[3];
fs.mkdirSync(out, {recursive: true});

let checks = 0;
let pagesChecked = 0;
const journeys = [];
function assert(cond, what) {
  checks++;
  if (!cond) throw new Error('failed: ' + what);
}

async function axe(page, name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    return await window.axe.run(document, {
      runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
    });
  });
  pagesChecked++;
  if (result.violations.length > 0) {
    const lines = result.violations.map(
        v => `  ${v.id} (${v.impact}): ${v.help}\n` +
             v.nodes.slice(0, 3).map(n => '    ' + n.target.join(' ')).join('\n'));
    throw new Error(`axe: ${result.violations.length} violation(s) on ${name} ` +
                    `(${page.url()}):\n${lines.join('\n')}`);
  }
}

// Opens a path, checks it with axe and saves a screenshot under `name`.
async function visit(page, p, name) {
  const resp = await page.goto(base + p, {waitUntil: 'load'});
  await look(page, name);
  return resp;
}
async function look(page, name) {
  await axe(page, name);
  if (name) {
    await page.screenshot({path: path.join(out, name + '.png'), fullPage: true});
  }
}

// Clicks the element matching `selector` whose text is `label` (or starts
// with it, when `prefix`), and waits for the page it leads to.
async function clickText(page, selector, label, prefix = false) {
  for (const el of await page.$$(selector)) {
    const t = await page.evaluate(e => e.textContent.trim(), el);
    if (t === label || (prefix && t.startsWith(label))) {
      await Promise.all([page.waitForNavigation({waitUntil: 'load'}), el.click()]);
      return;
    }
  }
  throw new Error(`no ${selector} "${label}" on ${page.url()}`);
}
const submit = (page, label) => clickText(page, 'button', label);
const clickLink = (page, label) => clickText(page, 'a', label);

async function type(page, id, text) {
  await page.$eval('#' + id, el => { el.value = ''; });
  await page.type('#' + id, text);
}

async function text(page) {
  return page.evaluate(() => document.body.innerText);
}

async function signIn(browser, user) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setBypassCSP(true);  // only so axe can be injected
  await page.goto(base + '/sign-in', {waitUntil: 'load'});
  await clickText(page, 'button', `Sign in as ${user}:`, true);
  return page;
}

async function journey(name, fn) {
  const started = Date.now();
  await fn();
  journeys.push(name);
  console.log(`journey ok: ${name} (${Date.now() - started} ms)`);
}

(async () => {
  const browser = await puppeteer.launch({
    defaultViewport: {width: 1024, height: 768},
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update',
           '--disable-sync', '--disable-dev-shm-usage'],
  });
  let failed = null;
  try {
    let appId = '';
    const title = 'Tottenham family singing afternoons';

    await journey('sign-in page lists the demo people by role', async () => {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      await page.setBypassCSP(true);
      await visit(page, '/sign-in', 'sign-in');
      const t = await text(page);
      assert(t.includes('Sign in as lin: Community group'), 'lin listed as a community group');
      assert(t.includes('Sign in as ola: Assessor'), 'ola listed as an assessor');
      // Signed out, a role's page sends the visitor to sign in.
      await page.goto(base + '/staff', {waitUntil: 'load'});
      assert(page.url().endsWith('/sign-in'), 'signed-out visitor sent to sign in');
      await context.close();
    });

    await journey('a community group registers and submits an expression of interest', async () => {
      const page = await signIn(browser, 'lin');
      await look(page, 'applicant-start');
      assert((await text(page)).includes('Register your organisation'), 'asked to register first');
      await clickLink(page, 'Register your organisation');
      await look(page, '');
      // A refused registration: the service's field violation lands on its field.
      await type(page, 'org-name', 'Tottenham Youth Choir');
      await page.click('#legal-form-5');  // unincorporated community group
      await type(page, 'address-line1', '3 High Road');
      await type(page, 'town', 'London');
      await type(page, 'postcode', 'NOT A POSTCODE');
      await page.select('#borough', 'Haringey');
      await type(page, 'contact-name', 'Lin Chen');
      await type(page, 'contact-email', 'lin@example.org');
      await submit(page, 'Register organisation');
      let t = await text(page);
      assert(t.includes('There is a problem'), 'bad postcode gives an error summary');
      assert(await page.$('#postcode-error') !== null, 'the postcode error is beside its input');
      await look(page, 'applicant-organisation-error');
      await type(page, 'postcode', 'N17 8AD');
      await submit(page, 'Register organisation');
      t = await text(page);
      assert(t.includes('Your organisation is registered'), 'registration confirmed');

      await clickLink(page, 'Find an open funding round and apply');
      await look(page, 'applicant-rounds');
      await clickLink(page, 'Apply to London Family Fund: open demo round (expressions of interest, then interviews)');
      await look(page, '');
      // A missing field first: the error summary names it and links to it.
      await type(page, 'summary', 'Monthly afternoons where families sing together.');
      await submit(page, 'Save and continue');
      t = await text(page);
      assert(t.includes('There is a problem'), 'missing title gives an error summary');
      assert(t.includes("Enter your project's title"), 'the summary names the missing title');
      const href = await page.$eval('.govuk-error-summary__list a', a => a.getAttribute('href'));
      assert(href === '#title', 'the error links to the title input');
      assert((await page.$eval('#summary', el => el.value)).startsWith('Monthly'), 'answers kept');
      await look(page, 'applicant-error-summary');
      await type(page, 'title', title);
      await submit(page, 'Save and continue');
      appId = page.url().split('/applications/')[1].split('/')[0];
      assert(appId.length > 0, 'a draft was created');

      // The amount: the service's own rule (the round's limits) on its field.
      await type(page, 'amount', '5000');
      await type(page, 'budget-1-description', 'Music leaders');
      await type(page, 'budget-1-amount', '5000');
      await submit(page, 'Save and continue');
      t = await text(page);
      assert(t.includes('Amount requested must be between'), 'round limit explained: ' + t.slice(0, 400));
      assert(await page.$('#amount-error') !== null, 'the limit error is beside the amount');
      await look(page, 'applicant-amount-error');
      await type(page, 'amount', '24,000');
      await type(page, 'budget-1-amount', '16000');
      await type(page, 'budget-2-description', 'Hall hire and refreshments');
      await type(page, 'budget-2-amount', '8000');
      // Save and come back later: the draft is kept.
      await submit(page, 'Save and come back later');
      t = await text(page);
      assert(t.includes('Your answers are saved'), 'saved for later');
      assert(t.includes(title) && t.includes('Draft'), 'the draft is listed');
      await page.goto(`${base}/applicant/applications/${appId}/dates`, {waitUntil: 'load'});
      await type(page, 'start-day', '1');
      await type(page, 'start-month', '3');
      await type(page, 'start-year', '2027');
      await type(page, 'end-day', '28');
      await type(page, 'end-month', '2');
      await type(page, 'end-year', '2028');
      await submit(page, 'Save and continue');
      await look(page, 'applicant-place');
      await page.click('#boroughs-' + 14);  // a borough
      await type(page, 'beneficiaries', '80');
      await page.click('#children');
      await page.click('#adults-at-risk-2');
      await submit(page, 'Save and continue');
      // Equality monitoring: optional, its own page.
      t = await text(page);
      assert(t.includes('These questions are optional'), 'equality page says it is optional');
      await look(page, 'applicant-equality');
      await page.click('#led-by-6');  // Women
      await submit(page, 'Save and continue');
      t = await text(page);
      assert(t.includes('Check your answers before submitting'), 'check your answers');
      assert(t.includes('£24,000.00') && t.includes('1 March 2027'), 'answers shown back');
      assert(!t.includes('Women'), 'equality answers are not part of the bid');
      await look(page, 'applicant-check-answers');
      await submit(page, 'Submit expression of interest');
      t = await text(page);
      assert(t.includes('Your expression of interest has been submitted'), 'submitted');
      await look(page, 'applicant-submitted');
      await page.goto(base + '/applicant', {waitUntil: 'load'});
      t = await text(page);
      assert(t.includes('Submitted'), 'listed as submitted');
      await look(page, 'applicant-home');
      await page.browserContext().close();
    });

    await journey('the grants team screens the bid and assigns assessors', async () => {
      const page = await signIn(browser, 'grace');
      await visit(page, '/staff/funds/lff/rounds/demo-open/assessments', 'staff-bids');
      await clickLink(page, title);
      await look(page, 'staff-bid-screening');
      await page.click('#decision');
      await submit(page, 'Record screening decision');
      assert((await text(page)).includes('Screening decision recorded'), 'screened');
      await type(page, 'assessors', 'ola, ben');
      await submit(page, 'Assign');
      const t = await text(page);
      assert(t.includes('Assessors assigned'), 'assigned: ' + t.slice(0, 300));
      assert(t.includes('ola') && t.includes('ben'), 'both assessors listed');
      await page.browserContext().close();
    });

    for (const [assessor, scores] of [['ola', ['4', '4', '3', '4']], ['ben', ['5', '4', '4', '4']]]) {
      await journey(`${assessor} declares no conflict and scores the bid`, async () => {
        const page = await signIn(browser, assessor);
        await look(page, assessor === 'ola' ? 'assessor-queue' : '');
        await clickLink(page, title);
        let t = await text(page);
        assert(t.includes('Declare any conflict of interest'), 'declaration first');
        assert(!t.includes('Monthly afternoons'), 'the bid stays closed before the declaration');
        await look(page, assessor === 'ola' ? 'assessor-declaration' : '');
        await page.click('#declaration');  // no conflict
        await submit(page, 'Confirm declaration');
        t = await text(page);
        assert(t.includes('Monthly afternoons'), 'the whole bid opens after declaring');
        // Submitting with a criterion unscored is refused, answers kept.
        const ids = ['bringing-together', 'inclusion', 'safeguarding', 'deliverability'];
        for (let i = 0; i < 3; i++) {
          await page.click(`#score-${ids[i]}-${Number(scores[i]) + 1}`);
          await type(page, `comment-${ids[i]}`, `${assessor}'s view on ${ids[i]}`);
        }
        await submit(page, 'Save and submit scores');
        t = await text(page);
        assert(t.includes('There is a problem'), 'an unscored criterion is refused');
        await look(page, assessor === 'ola' ? 'assessor-scores-error' : '');
        await page.click(`#score-${ids[3]}-${Number(scores[3]) + 1}`);
        await type(page, `comment-${ids[3]}`, `${assessor}'s view on ${ids[3]}`);
        await submit(page, 'Save and submit scores');
        t = await text(page);
        assert(t.includes('are submitted'), 'scores submitted: ' + t.slice(0, 300));
        await page.browserContext().close();
      });
    }

    await journey('the grants team sees the bid in the ranking and on the dashboard', async () => {
      const page = await signIn(browser, 'grace');
      await look(page, 'staff-funds');
      await visit(page, '/staff/funds/lff', 'staff-dashboard');
      let t = await text(page);
      assert(t.includes('md2192-grants') && t.includes('Ceiling'), 'budget lines table');
      assert(await page.$('svg[role="img"] rect') !== null, 'budget chart drawn');
      assert(t.includes('demo-open'), 'the round in the pipeline');
      await visit(page, '/staff/funds/lff/rounds/demo-open/ranking', 'staff-ranking');
      t = await text(page);
      assert(t.includes(title), 'the bid is ranked');
      assert(/8[0-9]\.[0-9]{2}%/.test(t) || /7[0-9]\.[0-9]{2}%/.test(t), 'with its written score');
      await page.browserContext().close();
    });

    await journey('the bid is shortlisted, interviewed, recommended and awarded', async () => {
      const grace = await signIn(browser, 'grace');
      await grace.goto(base + '/staff/funds/lff/rounds/demo-open/assessments', {waitUntil: 'load'});
      await clickLink(grace, title);
      const bidUrl = grace.url();
      const assessmentId = bidUrl.split('/assessments/')[1];
      await grace.click('#shortlisted');
      await submit(grace, 'Record shortlisting decision');
      assert((await text(grace)).includes('Shortlisting decision recorded'), 'shortlisted');
      await type(grace, 'date-day', '12');
      await type(grace, 'date-month', '5');
      await type(grace, 'date-year', '2026');
      await type(grace, 'time', '14:30');
      await type(grace, 'location', 'City Hall, room 3');
      await type(grace, 'panel', 'ola, dee');
      await submit(grace, 'Schedule interview');
      let t = await text(grace);
      assert(t.includes('Interview scheduled'), 'interview scheduled: ' + t.slice(0, 400));
      await grace.browserContext().close();
      for (const [who, marks] of [['ola', [4, 4, 4, 5]], ['dee', [4, 3, 4, 4]]]) {
        const p = await signIn(browser, who);
        await p.goto(`${base}/assessor/assessments/${assessmentId}/interview`, {waitUntil: 'load'});
        // Dee declares for the first time; ola declared for the written bid.
        if (await p.$('#declaration') !== null) {
          await p.click('#declaration');
          await submit(p, 'Confirm declaration');
        }
        assert((await text(p)).includes('Your scores'), `${who} sees the interview sheet: ` + (await text(p)).replace(/\s+/g, ' ').slice(0, 1500));
        const ids = ['bringing-together', 'inclusion', 'safeguarding', 'deliverability'];
        for (let i = 0; i < 4; i++) {
          await p.click(`#score-${ids[i]}-${marks[i] + 1}`);
          await type(p, `comment-${ids[i]}`, `${who} at interview on ${ids[i]}`);
        }
        await look(p, who === 'ola' ? 'assessor-interview-scores' : '');
        await submit(p, 'Save and submit scores');
        assert((await text(p)).includes('are submitted'), `${who}'s interview scores submitted`);
        await p.browserContext().close();
      }
      const grace2 = await signIn(browser, 'grace');
      await grace2.goto(bidUrl, {waitUntil: 'load'});
      await grace2.click('#outcome');  // recommend
      await type(grace2, 'amount', '24000');
      await type(grace2, 'feedback', 'A strong, well-costed bid.');
      await type(grace2, 'rationale', 'Strong interview; reaches families the fund has not.');
      await submit(grace2, 'Record recommendation');
      t = await text(grace2);
      assert(t.includes('Recommendation recorded'), 'recommended: ' + t.slice(0, 400));
      assert(!t.includes('Record award decision'), 'the recommender is not offered the award');
      await grace2.browserContext().close();
      const ade = await signIn(browser, 'ade');
      await ade.goto(bidUrl, {waitUntil: 'load'});
      await look(ade, 'staff-award-decision');
      await ade.click('#decision');  // award
      await ade.select('#line', 'funds/lff/budgetLines/md2311-grants');
      await type(ade, 'rationale', 'Within the round and the line.');
      await submit(ade, 'Record award decision');
      t = await text(ade);
      assert(t.includes('Award decision recorded'), 'awarded: ' + t.slice(0, 400));
      await ade.goto(base + '/staff/funds/lff', {waitUntil: 'load'});
      t = await text(ade);
      assert(/md2311-grants\s+£320,000\.00\s+£24,000\.00/.test(t), 'reserved on the line in the ledger');
      await ade.browserContext().close();
    });

    await journey('a funded group reports, and finance pays the next instalment', async () => {
      const grant = 'Family cook-and-share evenings';
      // Amira: the grant's page, the first instalment paid, the second held.
      const amira = await signIn(browser, 'amira');
      await clickLink(amira, grant);
      await clickLink(amira, 'Your funding agreement, payments and reports');
      const grantUrl = amira.url();
      const grantId = grantUrl.split('/grants/')[1];
      let t = await text(amira);
      assert(t.includes('In force'), 'the agreement is in force');
      assert(/first\s+£15,000\.00[\s\S]*Paid £15,000\.00/.test(t), 'first instalment paid: ' + t.slice(0, 900));
      assert(/second\s+£10,000\.00[\s\S]*Not paid yet/.test(t), 'second instalment not paid yet');
      await look(amira, 'applicant-grant');
      await clickLink(amira, 'Interim report');
      await look(amira, 'applicant-report');
      await type(amira, 'indicator-1', '42');
      await type(amira, 'indicator-2', '6');
      await type(amira, 'narrative', 'Six evenings so far, families from all three estates.');
      await submit(amira, 'Submit report');
      assert((await text(amira)).includes('Your Interim report has been submitted'), 'report submitted');
      await amira.browserContext().close();

      // Grace accepts the report; Fola asks for the second instalment.
      const grace = await signIn(browser, 'grace');
      await visit(grace, '/staff/grants/' + grantId, 'staff-agreement');
      await grace.click('#outcome');
      await submit(grace, 'Record review');
      assert((await text(grace)).includes('Report accepted'), 'report accepted');
      // The open data and register downloads.
      const files = await grace.evaluate(async () => {
        const reg = await fetch('/staff/funds/lff/register.csv');
        const od = await fetch('/staff/funds/lff/360giving.json');
        return {reg: reg.status, regText: await reg.text(), regType: reg.headers.get('content-disposition'),
                od: od.status, odJson: await od.json()};
      });
      assert(files.reg === 200 && files.regText.includes('Family cook-and-share evenings'), 'register CSV');
      assert((files.regType || '').startsWith('attachment'), 'register is a download');
      assert(files.od === 200 && Array.isArray(files.odJson.grants), '360Giving package');
      await grace.browserContext().close();

      const fola = await signIn(browser, 'fola');
      await fola.goto(base + '/staff/grants/' + grantId, {waitUntil: 'load'});
      await fola.click('#instalment-2');
      await submit(fola, 'Request payment');
      t = await text(fola);
      assert(t.includes('Payment of £10,000.00 requested'), 'payment requested: ' + t.slice(0, 300));
      assert(!t.includes('Approve '), 'the requester is not offered approval');
      await fola.browserContext().close();

      // Fin approves; Fola releases and confirms; the remittance file.
      const fin = await signIn(browser, 'fin');
      await visit(fin, '/staff/payments', 'finance-payments');
      const approve = await fin.$$eval('button', bs => bs.map(b => b.textContent.trim()).filter(x => x.startsWith('Approve ')));
      assert(approve.length === 1, 'one payment to approve');
      await submit(fin, approve[0]);
      assert((await text(fin)).includes('Payment approved: £10,000.00'), 'approved');
      await fin.browserContext().close();
      const fola2 = await signIn(browser, 'fola');
      await fola2.goto(base + '/staff/payments', {waitUntil: 'load'});
      await submit(fola2, 'Release approved payments to the bank');
      t = await text(fola2);
      assert(t.includes('Released 1 payment(s), £10,000.00'), 'released: ' + t.slice(0, 300));
      const batch = t.match(/in batch ([a-z0-9-]+)/)[1];
      const csvHref = await fola2.$$eval('a', as => as.map(a => a.getAttribute('href')).filter(h => h && h.endsWith('.csv')));
      assert(csvHref.includes(`/staff/remittance/${batch}.csv`), 'the batch is listed with its file');
      const csv = await fola2.evaluate(async h => (await fetch(h)).text(), `/staff/remittance/${batch}.csv`);
      assert(csv.includes('10000.00') || csv.includes('£10,000.00'), 'the remittance file holds the payment: ' + csv.slice(0, 200));
      const confirm = await fola2.$$eval('button', bs => bs.map(b => b.textContent.trim()).filter(x => x.startsWith('Confirm ')));
      await submit(fola2, confirm[0]);
      assert((await text(fola2)).includes('Payment confirmed: £10,000.00'), 'confirmed');
      await look(fola2, '');
      await fola2.browserContext().close();

      const amira2 = await signIn(browser, 'amira');
      await amira2.goto(grantUrl, {waitUntil: 'load'});
      t = await text(amira2);
      assert(/second\s+£10,000\.00[\s\S]*Paid £10,000\.00/.test(t), 'the group sees the second instalment paid');
      await amira2.browserContext().close();
    });

    await journey("one role opening another role's page is refused", async () => {
      const page = await signIn(browser, 'amira');
      let resp = await page.goto(base + '/staff/funds/lff', {waitUntil: 'load'});
      assert(resp.status() === 403, 'applicant refused the dashboard: ' + resp.status());
      assert((await text(page)).includes('This page is not for your role'), 'said in words');
      await look(page, 'refused-role');
      resp = await page.goto(base + '/assessor', {waitUntil: 'load'});
      assert(resp.status() === 403, 'applicant refused the assessor queue');
      await page.browserContext().close();
      const ola = await signIn(browser, 'ola');
      resp = await ola.goto(base + '/applicant', {waitUntil: 'load'});
      assert(resp.status() === 403, 'assessor refused the applicant pages');
      resp = await ola.goto(base + '/staff/funds/lff/rounds/demo-open/ranking', {waitUntil: 'load'});
      assert(resp.status() === 403, 'assessor refused the ranking');
      await ola.browserContext().close();
    });

    await journey('a form posted without its CSRF token is refused and changes nothing', async () => {
      const page = await signIn(browser, 'amira');
      await page.goto(base + '/applicant/organisation', {waitUntil: 'load'});
      const before = await page.$eval('#org-name', el => el.value);
      // The same form, its token removed, then posted.
      await page.$eval('form[action="/applicant/organisation"] input[name="csrf"]', el => el.remove());
      await type(page, 'org-name', 'Renamed by a forged form');
      const [resp] = await Promise.all([
        page.waitForNavigation({waitUntil: 'load'}),
        page.$eval('form[action="/applicant/organisation"]', f => f.submit()),
      ]);
      assert(resp.status() === 403, 'refused with 403: ' + resp.status());
      assert((await text(page)).includes('This form has expired or did not come from this service'),
             'said in words');
      await look(page, 'refused-csrf');
      await page.goto(base + '/applicant/organisation', {waitUntil: 'load'});
      assert(await page.$eval('#org-name', el => el.value) === before, 'nothing changed');
      // A token from another session is no better.
      const other = await signIn(browser, 'tom');
      await other.goto(base + '/applicant/organisation', {waitUntil: 'load'});
      const foreign = await other.$eval('form[action="/applicant/organisation"] input[name="csrf"]', el => el.value);
      await page.$eval('form[action="/applicant/organisation"] input[name="csrf"]', (el, v) => { el.value = v; }, foreign);
      await type(page, 'org-name', 'Renamed with a stolen token');
      const [resp2] = await Promise.all([
        page.waitForNavigation({waitUntil: 'load'}),
        page.$eval('form[action="/applicant/organisation"]', f => f.submit()),
      ]);
      assert(resp2.status() === 403, "another session's token refused");
      await other.browserContext().close();
      await page.browserContext().close();
    });
  } catch (e) {
    failed = e;
  }
  await browser.close();
  console.log(`browser journeys: ${journeys.length} passed; ${checks} checks; ` +
              `axe (WCAG 2.1 A and AA) on ${pagesChecked} pages, 0 violations` +
              (failed ? ' before the failure' : ''));
  if (failed) {
    console.error(failed.stack || String(failed));
    process.exit(1);
  }
})();
