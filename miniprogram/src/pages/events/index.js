// 活动: published events, newest first, filtered by kind; pages load as the list scrolls.
const api = require('../../utils/api')
const format = require('../../utils/format')

const KINDS = ['道德讲堂', '志愿服务', '传统节日', '文体活动', '植树护绿', '帮扶共建', '主题教育', '其他']
const PER_PAGE = 20

function present(event) {
  return Object.assign({}, event, {
    when: format.dateTime(event.starts_at),
    cancelled: event.status === 'cancelled',
  })
}

Component({
  data: {
    kinds: KINDS,
    kind: '',
    state: 'loading',
    message: '',
    items: [],
    page: 1,
    hasMore: false,
    loadingMore: false,
  },
  methods: {
    onLoad() {
      return this.load()
    },
    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh())
    },
    onReachBottom() {
      return this.more()
    },
    async load() {
      this.setData({ state: 'loading' })
      try {
        const answer = await api.events({ kind: this.data.kind, page: 1, per_page: PER_PAGE })
        this.setData({
          state: answer.items.length ? 'ready' : 'empty',
          items: answer.items.map(present),
          page: 1,
          hasMore: answer.meta.page < answer.meta.pages,
        })
      } catch (error) {
        this.setData({ state: 'error', message: error.message })
      }
    },
    async more() {
      if (!this.data.hasMore || this.data.loadingMore) return
      this.setData({ loadingMore: true })
      try {
        const page = this.data.page + 1
        const answer = await api.events({ kind: this.data.kind, page, per_page: PER_PAGE })
        this.setData({
          items: this.data.items.concat(answer.items.map(present)),
          page,
          hasMore: answer.meta.page < answer.meta.pages,
        })
      } catch (error) {
        // The request module has shown the message; the list stays as it was.
      }
      this.setData({ loadingMore: false })
    },
    onKind(e) {
      this.setData({ kind: e.currentTarget.dataset.kind })
      return this.load()
    },
    onOpen(e) {
      wx.navigateTo({ url: `/pages/events/detail?id=${e.currentTarget.dataset.id}` })
    },
  },
})
