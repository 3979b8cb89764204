// Pages work without JavaScript; with it, GOV.UK Frontend's components add their behaviour.
import { initAll } from '/assets/govuk/govuk-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initAll()
