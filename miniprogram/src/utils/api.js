// The backend's endpoints by name, on top of the request module; pages call these.
const { request, upload, download } = require('./request')

function query(params) {
  const parts = Object.keys(params || {})
    .filter(key => params[key] !== undefined && params[key] !== null && params[key] !== '')
    .map(key => `${encodeURIComponent(key)}=${encodeURIComponent(params[key])}`)
  return parts.length ? `?${parts.join('&')}` : ''
}

// Binding options: a backend without phone binding answers 404, which means name + 工号, open.
async function bindOptions() {
  try {
    return await request('/bind/options', { silent: true })
  } catch (error) {
    if (error.status === 404) return { phone: false, name: 'open' }
    throw error
  }
}

// My reflection on an event, or null when I have not written one (the backend answers 404).
async function myReflection(eventId) {
  try {
    return await request(`/events/${eventId}/reflections/mine`, { silent: true })
  } catch (error) {
    if (error.status === 404 && error.code === 'reflection_not_found') return null
    throw error
  }
}

module.exports = {
  query,
  me: () => request('/me'),
  bindOptions,
  bindByName: (name, employeeNo) => request('/bind', { method: 'POST', data: { name, employee_no: employeeNo }, silent: true }),
  bindByPhone: code => request('/bind/phone', { method: 'POST', data: { code }, silent: true }),

  announcements: params => request(`/announcements${query(params)}`),
  todaysTip: () => request('/tips/today', { silent: true }),
  volunteerHours: params => request(`/me/volunteer-hours${query(params)}`),

  events: params => request(`/events${query(params)}`),
  event: id => request(`/events/${id}`),
  register: id => request(`/events/${id}/registration`, { method: 'POST' }),
  unregister: id => request(`/events/${id}/registration`, { method: 'DELETE' }),
  checkIn: body => request('/checkins', { method: 'POST', data: body, silent: true }),
  myCheckins: params => request(`/me/checkins${query(params)}`),
  myReflection,
  writeReflection: (eventId, content) => request(`/events/${eventId}/reflections`, { method: 'POST', data: { content }, silent: true }),

  wishes: params => request(`/wishes${query(params)}`),
  wish: id => request(`/wishes/${id}`),
  claimWish: id => request(`/wishes/${id}/claim`, { method: 'POST' }),
  releaseWish: id => request(`/wishes/${id}/release`, { method: 'POST', data: {} }),
  submitProof: (id, filePath, note) => upload(`/wishes/${id}/proof`, { filePath, name: 'photos', formData: { note } }),
  myWishes: params => request(`/me/wishes${query(params)}`),

  selections: params => request(`/selections${query(params)}`),
  selection: id => request(`/selections/${id}`),
  vote: (selectionId, entryId) => request(`/selections/${selectionId}/entries/${entryId}/vote`, { method: 'POST' }),
  selectionResults: id => request(`/selections/${id}/results`),
  submitWork: (selectionId, filePath, title, description) => upload(`/selections/${selectionId}/entries`, {
    filePath, name: 'photos', formData: { title, description },
  }),

  pledges: params => request(`/pledges${query(params)}`),
  pledge: id => request(`/pledges/${id}`),
  signPledge: id => request(`/pledges/${id}/sign`, { method: 'POST' }),

  surveys: () => request('/surveys'),
  survey: id => request(`/surveys/${id}`),
  answerSurvey: (id, answers) => request(`/surveys/${id}/answers`, { method: 'POST', data: { answers }, silent: true }),
  myRectifications: () => request('/me/rectifications'),
  submitRectification: (id, filePath, note) => upload(`/me/rectifications/${id}/evidence`, {
    filePath, name: 'photos', formData: { note }, silent: true,
  }),

  photo: photoUrl => download(photoUrl.replace(/^\/api\/mp/, '')),
}
