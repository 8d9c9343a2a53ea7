// Progressive enhancement only: every page works without it.
import { initAll } from '/assets/govuk-frontend.min.js';
document.body.classList.add('js-enabled');
if ('noModule' in HTMLScriptElement.prototype) {
  document.body.classList.add('govuk-frontend-supported');
}
initAll();
