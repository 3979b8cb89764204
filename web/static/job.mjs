// Live progress for a job's page: ask the job's JSON once a second and show it;
// when it ends, load the page again so the server shows the result or the error.
const job = document.getElementById('job')

async function poll () {
  const answer = await fetch(`/jobs/${job.dataset.jobId}/progress`, { credentials: 'same-origin' })
  if (!answer.ok) return
  const status = await answer.json()
  if (status.finished) {
    window.location.reload()
    return
  }
  document.getElementById('job-progress').value = status.percent
  document.getElementById('job-message').textContent =
    `${status.percent}%` + (status.message ? `: ${status.message}` : '')
  window.setTimeout(poll, 1000)
}

if (job) {
  document.getElementById('job-refresh').hidden = true
  window.setTimeout(poll, 1000)
}
