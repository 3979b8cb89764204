// Drag and drop for the dossier draft. Without JavaScript the Up and Down buttons do
// the same; with it, a drop rewrites the draft field and sends the form, so the
// server re-renders and re-checks the draft exactly as it does for the buttons.
const form = document.getElementById('dossier-draft')
const field = document.getElementById('draft')

function draftFromPage () {
  const before = JSON.parse(field.value)
  const sections = before.sections.map((section, number) => {
    const list = form.querySelector(`ol[data-section="${number}"]`)
    const entries = list ? Array.from(list.querySelectorAll('li[data-document-id]')) : []
    return {
      ...section,
      items: entries.map((entry) => ({
        document_id: entry.dataset.documentId,
        version: entry.dataset.version ? Number(entry.dataset.version) : null
      }))
    }
  })
  return { sections }
}

function send () {
  field.value = JSON.stringify(draftFromPage())
  const action = document.createElement('input')
  action.type = 'hidden'
  action.name = 'action'
  action.value = 'update'
  form.appendChild(action)
  form.submit()
}

function entryBelow (list, y) {
  const others = Array.from(list.querySelectorAll('li[data-document-id]:not(.ppud-entry--dragging)'))
  return others.find((entry) => {
    const box = entry.getBoundingClientRect()
    return y < box.top + box.height / 2
  })
}

if (form && field) {
  let dragged = null
  form.querySelectorAll('li[data-document-id]').forEach((entry) => {
    entry.addEventListener('dragstart', (event) => {
      dragged = entry
      entry.classList.add('ppud-entry--dragging')
      event.dataTransfer.effectAllowed = 'move'
      event.dataTransfer.setData('text/plain', entry.dataset.documentId)
    })
    entry.addEventListener('dragend', () => entry.classList.remove('ppud-entry--dragging'))
  })
  form.querySelectorAll('ol[data-section]').forEach((list) => {
    list.addEventListener('dragover', (event) => {
      if (!dragged) return
      event.preventDefault()
      const below = entryBelow(list, event.clientY)
      const empty = list.querySelector('.ppud-entry--empty')
      if (empty) empty.remove()
      if (below) list.insertBefore(dragged, below)
      else list.appendChild(dragged)
    })
    list.addEventListener('drop', (event) => {
      if (!dragged) return
      event.preventDefault()
      dragged = null
      send()
    })
  })
}
