// 评选详情: the approved entries with their photos, my votes and votes left; vote during 投票;
// the results once published; for a 作品征集 taking works, the way to submit one.
const api = require('../../utils/api')
const format = require('../../utils/format')
const { fetchPhotos } = require('../../utils/media')

const RESULT_PHASES = ['publicity', 'finished']

function present(ballot) {
  const selection = ballot.selection
  const voting = selection.phase === 'voting'
  return {
    selection: Object.assign({}, selection, {
      nominateWindow: `${format.dateTime(selection.nominate_from)} 至 ${format.dateTime(selection.nominate_until)}`,
      voteWindow: `${format.dateTime(selection.vote_from)} 至 ${format.dateTime(selection.vote_until)}`,
    }),
    entries: ballot.entries.map(entry => {
      const voted = ballot.my_votes.includes(entry.id)
      return Object.assign({}, entry, {
        voted,
        canVote: voting && !voted && ballot.votes_left > 0,
        showVotes: entry.votes !== null && entry.votes !== undefined,
        photoPaths: [],
      })
    }),
    myVotes: ballot.my_votes,
    votesLeft: ballot.votes_left,
    voting,
    canSubmit: selection.kind === 'works' && selection.phase === 'nominating',
  }
}

Component({
  data: {
    id: null,
    state: 'loading',
    message: '',
    selection: null,
    entries: [],
    myVotes: [],
    votesLeft: 0,
    voting: false,
    canSubmit: false,
    results: [],
    busy: false,
  },
  methods: {
    onLoad(options) {
      this.setData({ id: options.id })
      return this.load()
    },
    async load() {
      let ballot
      try {
        ballot = await api.selection(this.data.id)
      } catch (error) {
        this.setData({ state: 'error', message: error.message })
        return
      }
      this.setData(Object.assign({ state: ballot.entries.length ? 'ready' : 'empty', results: [] }, present(ballot)))
      if (RESULT_PHASES.includes(ballot.selection.phase)) await this.loadResults()
      await this.loadPhotos()
    },
    async loadResults() {
      try {
        const answer = await api.selectionResults(this.data.id)
        this.setData({
          state: 'ready',
          results: answer.items.map(standing => Object.assign({}, standing, { title: standing.entry.title })),
        })
      } catch (error) {
        // shown by the request module; the entries stay
      }
    },
    async loadPhotos() {
      const entries = this.data.entries
      for (let i = 0; i < entries.length; i += 1) {
        const paths = await fetchPhotos(api, entries[i].photos || [])
        this.setData({ [`entries[${i}].photoPaths`]: paths })
      }
    },
    async onVote(e) {
      if (this.data.busy) return
      const entryId = Number(e.currentTarget.dataset.id)
      this.setData({ busy: true })
      try {
        const answer = await api.vote(this.data.id, entryId)
        wx.showToast({ title: '投票成功', icon: 'success' })
        const myVotes = this.data.myVotes.concat([entryId])
        this.setData({
          myVotes,
          votesLeft: answer.votes_left,
          entries: this.data.entries.map(entry => Object.assign({}, entry, {
            voted: myVotes.includes(entry.id),
            canVote: this.data.voting && !myVotes.includes(entry.id) && answer.votes_left > 0,
          })),
        })
      } catch (error) {
        // the backend's refusal is shown by the request module
      }
      this.setData({ busy: false })
    },
    onPreview(e) {
      const { src, entry } = e.currentTarget.dataset
      wx.previewImage({ current: src, urls: this.data.entries[entry].photoPaths })
    },
    onSubmitWork() {
      wx.navigateTo({ url: `/pages/selections/submit?id=${this.data.id}` })
    },
  },
})
