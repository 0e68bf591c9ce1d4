// The answer to a scan: 签到成功 / 已签到 / 签退成功 / 签退时间已更新 / 已签退 with times and hours, or the refusal.
const format = require('../../utils/format')

const HEADLINES = {
  checked_in: '签到成功',
  already_checked_in: '已签到',
  checked_out: '签退成功',
  already_checked_out: '已签退',
  checkout_updated: '签退时间已更新',
}
// Answers that recorded something new (a later sign-out replaces an accidental earlier one).
const RECORDED = ['checked_in', 'checked_out', 'checkout_updated']

function describe(result) {
  if (!result) return null
  return {
    headline: HEADLINES[result.status] || '已记录',
    ok: RECORDED.includes(result.status),
    eventTitle: result.event ? result.event.title : '',
    checkedInAt: format.dateTime(result.checked_in_at),
    checkedOutAt: format.dateTime(result.checked_out_at),
    previousCheckedOutAt: format.dateTime(result.previous_checked_out_at),
    minutes: result.duration_minutes === undefined || result.duration_minutes === null ? null : result.duration_minutes,
    hours: result.hours === undefined || result.hours === null ? null : result.hours,
  }
}

Component({
  properties: {
    result: { type: Object, value: null },
    refusal: { type: String, value: '' },
  },
  data: { view: null },
  lifetimes: {
    attached() {
      this.setData({ view: describe(this.data.result) })
    },
  },
  observers: {
    result(result) {
      this.setData({ view: describe(result) })
    },
  },
  methods: {
    onAgain() {
      this.triggerEvent('again')
    },
  },
})
