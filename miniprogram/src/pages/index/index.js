// 首页: announcements, upcoming events, today's civility tip, my volunteer hours this year; links to 评选 and 承诺书.
const api = require('../../utils/api')
const { login } = require('../../utils/request')
const format = require('../../utils/format')

const UPCOMING_DAYS = 30

async function optional(promise) {
  try {
    return await promise
  } catch (error) {
    return null
  }
}

Component({
  data: {
    state: 'loading',
    message: '',
    loggedOut: false,
    staff: null,
    announcements: [],
    events: [],
    tip: null,
    hours: null,
  },
  methods: {
    onShow() {
      return this.load()
    },
    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh())
    },
    async load() {
      try {
        const me = await api.me()
        if (!me.bound) {
          wx.reLaunch({ url: '/pages/bind/index' })
          return
        }
        const [announcements, events, tip, hours] = await Promise.all([
          api.announcements({ per_page: 3 }),
          api.events({ date_from: format.today(), date_to: format.daysAhead(UPCOMING_DAYS), per_page: 100 }),
          optional(api.todaysTip()),
          api.volunteerHours(),
        ])
        const upcoming = events.items
          .filter(event => event.status === 'published')
          .sort((a, b) => (a.starts_at < b.starts_at ? -1 : 1))
          .slice(0, 5)
          .map(event => Object.assign({}, event, { when: format.dateTime(event.starts_at) }))
        this.setData({
          state: 'ready',
          loggedOut: false,
          staff: me.staff,
          announcements: announcements.items.map(item => Object.assign({}, item, { when: format.dateTime(item.created_at) })),
          events: upcoming,
          tip,
          hours,
        })
      } catch (error) {
        this.setData({ state: 'error', message: error.message, loggedOut: error.code === 'logged_out' })
      }
    },
    async onLogin() {
      this.setData({ state: 'loading' })
      try {
        await login()
      } catch (error) {
        this.setData({ state: 'error', message: error.message })
        return
      }
      await this.load()
    },
    onSelections() {
      wx.navigateTo({ url: '/pages/selections/index' })
    },
    onPledges() {
      wx.navigateTo({ url: '/pages/pledges/index' })
    },
    onScan() {
      wx.navigateTo({ url: '/pages/checkin/index' })
    },
    onOpenEvent(e) {
      wx.navigateTo({ url: `/pages/events/detail?id=${e.currentTarget.dataset.id}` })
    },
  },
})
