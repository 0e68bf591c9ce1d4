// Display helpers: times in Beijing time (the backend sends ISO 8601 in UTC).
const OFFSET_MS = 8 * 3600 * 1000

function pad(n) {
  return n < 10 ? `0${n}` : `${n}`
}

function parts(iso) {
  if (!iso) return null
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return null
  const local = new Date(date.getTime() + OFFSET_MS)
  return {
    y: local.getUTCFullYear(), m: local.getUTCMonth() + 1, d: local.getUTCDate(),
    hh: pad(local.getUTCHours()), mm: pad(local.getUTCMinutes()),
  }
}

function dateTime(iso) {
  const p = parts(iso)
  return p ? `${p.m}月${p.d}日 ${p.hh}:${p.mm}` : ''
}

function date(iso) {
  const p = parts(iso)
  return p ? `${p.y}年${p.m}月${p.d}日` : ''
}

// A local calendar day as YYYY-MM-DD, `days` after today.
function daysAhead(days) {
  const p = parts(new Date(Date.now() + days * 24 * 3600 * 1000).toISOString())
  return `${p.y}-${pad(p.m)}-${pad(p.d)}`
}

function today() {
  return daysAhead(0)
}

module.exports = { dateTime, date, today, daysAhead }
