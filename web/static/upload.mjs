// With JavaScript, each chosen file is sent on its own so that its bar shows its progress.
// Without it, the form is sent whole and works the same: this only adds the bars.

const form = document.querySelector('form[data-module="ppud-upload"]')

function rowFields (row) {
  const data = new FormData()
  // The CSRF token first: the server checks it before it stores a byte.
  data.append('csrf_token', form.elements.csrf_token.value)
  const folder = form.elements.folder_id
  if (folder) data.append('folder_id', folder.value)
  for (const element of row.querySelectorAll('input, select')) {
    if (element.type === 'file') {
      if (element.files.length) data.append(element.name, element.files[0])
    } else if (element.name) {
      data.append(element.name, element.value)
    }
  }
  return data
}

function problemsIn (html) {
  // Read as text only: nothing from the answer is put into the page as markup.
  const answer = new DOMParser().parseFromString(html, 'text/html')
  const items = [...answer.querySelectorAll('.govuk-error-summary__list li')]
  return items.map((item) => item.textContent.trim()).join(' ') || 'The file was not uploaded.'
}

function send (row) {
  const progress = row.querySelector('progress')
  const status = row.querySelector('[data-upload-status]')
  row.querySelector('.ppud-upload-progress').hidden = false
  status.textContent = 'Uploading…'
  return new Promise((resolve) => {
    const request = new XMLHttpRequest()
    request.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) progress.value = Math.round((event.loaded / event.total) * 100)
    })
    request.addEventListener('load', () => {
      const done = request.status === 200 && !request.responseURL.endsWith('/upload')
      progress.value = done ? 100 : progress.value
      status.textContent = done ? 'Uploaded' : 'Not uploaded: ' + problemsIn(request.responseText)
      resolve(done)
    })
    request.addEventListener('error', () => {
      status.textContent = 'Not uploaded: the connection failed. Try again.'
      resolve(false)
    })
    request.open('POST', form.action)
    request.send(rowFields(row))
  })
}

if (form && window.FormData && window.XMLHttpRequest) {
  form.addEventListener('submit', async (event) => {
    const rows = [...form.querySelectorAll('[data-upload-row]')].filter(
      (row) => !row.disabled && row.querySelector('input[type=file]').files.length > 0
    )
    if (rows.length === 0) return // the server explains what is missing
    event.preventDefault()
    const button = form.querySelector('button[type=submit]')
    button.disabled = true
    const results = await Promise.all(rows.map(send))
    const uploaded = results.filter(Boolean).length
    if (uploaded === rows.length) {
      window.location.assign(form.dataset.done + '?uploaded=' + uploaded)
    } else {
      button.disabled = false
      // A filed row is done with: disabled, it is sent neither again nor by the plain form.
      for (const [index, row] of rows.entries()) {
        if (results[index]) row.disabled = true
      }
    }
  })
}
