// 我认领的心愿: my claims, active and ended, newest first, with their state.
const api = require('../../utils/api')
const format = require('../../utils/format')

function present(claim) {
  return Object.assign({}, claim, {
    claimed: format.date(claim.claimed_at),
    due: format.date(claim.due_at),
  })
}

Component({
  data: { state: 'loading', message: '', items: [] },
  methods: {
    onShow() {
      return this.load()
    },
    async load() {
      try {
        const answer = await api.myWishes({ per_page: 100 })
        this.setData({ state: answer.items.length ? 'ready' : 'empty', items: answer.items.map(present) })
      } catch (error) {
        this.setData({ state: 'error', message: error.message })
      }
    },
    onOpen(e) {
      wx.navigateTo({ url: `/pages/wishes/detail?id=${e.currentTarget.dataset.id}` })
    },
  },
})
