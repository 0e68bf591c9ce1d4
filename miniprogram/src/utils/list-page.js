// A page that lists one kind of thing (one API call, each item presented, a tap opens its detail):
// the 评选 and 承诺 lists are this, with their own call, presentation and detail page.
function listPage({ fetch, present, detail }) {
  return {
    data: { state: 'loading', message: '', items: [] },
    methods: {
      onShow() {
        return this.load()
      },
      async load() {
        try {
          const answer = await fetch()
          this.setData({ state: answer.items.length ? 'ready' : 'empty', items: answer.items.map(present) })
        } catch (error) {
          this.setData({ state: 'error', message: error.message })
        }
      },
      onOpen(e) {
        wx.navigateTo({ url: `${detail}?id=${e.currentTarget.dataset.id}` })
      },
    },
  }
}

module.exports = { listPage }
