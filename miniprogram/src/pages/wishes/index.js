// 微心愿: the pairing village's wishes (beneficiaries masked), open ones first by default.
const api = require('../../utils/api')
const format = require('../../utils/format')

const FILTERS = [
  { status: 'open', label: '待认领' },
  { status: '', label: '全部' },
]

function present(wish) {
  return Object.assign({}, wish, { deadline: format.date(wish.claim_deadline) })
}

Component({
  data: {
    filters: FILTERS,
    status: 'open',
    state: 'loading',
    message: '',
    items: [],
    page: 1,
    hasMore: false,
  },
  methods: {
    onShow() {
      return this.load()
    },
    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh())
    },
    async onReachBottom() {
      if (!this.data.hasMore) return
      try {
        const page = this.data.page + 1
        const answer = await api.wishes({ status: this.data.status, page })
        this.setData({ items: this.data.items.concat(answer.items.map(present)), page, hasMore: page < answer.meta.pages })
      } catch (error) {
        // shown by the request module
      }
    },
    async load() {
      try {
        const answer = await api.wishes({ status: this.data.status, page: 1 })
        this.setData({
          state: answer.items.length ? 'ready' : 'empty',
          items: answer.items.map(present),
          page: 1,
          hasMore: answer.meta.pages > 1,
        })
      } catch (error) {
        this.setData({ state: 'error', message: error.message })
      }
    },
    onFilter(e) {
      this.setData({ status: e.currentTarget.dataset.status, state: 'loading' })
      return this.load()
    },
    onOpen(e) {
      wx.navigateTo({ url: `/pages/wishes/detail?id=${e.currentTarget.dataset.id}` })
    },
    onMine() {
      wx.navigateTo({ url: '/pages/wishes/mine' })
    },
  },
})
