// 评选: the published selections with the phase each is in.
const api = require('../../utils/api')
const format = require('../../utils/format')

function present(selection) {
  return Object.assign({}, selection, {
    voteWindow: `${format.dateTime(selection.vote_from)} 至 ${format.dateTime(selection.vote_until)}`,
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
        const answer = await api.selections({ per_page: 50 })
        this.setData({ state: answer.items.length ? 'ready' : 'empty', items: answer.items.map(present) })
      } catch (error) {
        this.setData({ state: 'error', message: error.message })
      }
    },
    onOpen(e) {
      wx.navigateTo({ url: `/pages/selections/detail?id=${e.currentTarget.dataset.id}` })
    },
  },
})
