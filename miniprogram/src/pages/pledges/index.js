// 承诺: the published pledges and their signing windows.
const api = require('../../utils/api')
const format = require('../../utils/format')

function present(pledge) {
  return Object.assign({}, pledge, {
    window: `${format.date(pledge.opens_at)} 至 ${format.date(pledge.closes_at)}`,
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
        const answer = await api.pledges({ per_page: 50 })
        this.setData({ state: answer.items.length ? 'ready' : 'empty', items: answer.items.map(present) })
      } catch (error) {
        this.setData({ state: 'error', message: error.message })
      }
    },
    onOpen(e) {
      wx.navigateTo({ url: `/pages/pledges/detail?id=${e.currentTarget.dataset.id}` })
    },
  },
})
