// 心愿详情: the wish (beneficiary masked); claim, give back, and submit proof photos as the claimer.
const api = require('../../utils/api')
const format = require('../../utils/format')
const { choosePhoto, compress, fetchPhotos } = require('../../utils/media')

function present(detail) {
  const wish = detail.wish
  const mine = detail.private || null
  const claim = mine && mine.claim && !mine.claim.ended_at ? mine.claim : null
  return {
    wish: Object.assign({}, wish, { deadline: format.date(wish.claim_deadline) }),
    mine,
    claim: claim ? Object.assign({}, claim, { due: format.date(claim.due_at) }) : null,
    canClaim: wish.status === 'open',
    canRelease: !!claim && wish.status === 'claimed',
    canProve: !!claim && wish.status === 'claimed',
  }
}

Component({
  data: {
    id: null,
    state: 'loading',
    message: '',
    wish: null,
    mine: null,
    claim: null,
    canClaim: false,
    canRelease: false,
    canProve: false,
    photos: [],
    proofPhoto: '',
    note: '',
    busy: false,
  },
  methods: {
    onLoad(options) {
      this.setData({ id: options.id })
      return this.load()
    },
    async load() {
      try {
        this.show(await api.wish(this.data.id))
      } catch (error) {
        this.setData({ state: 'error', message: error.message })
      }
    },
    show(detail) {
      this.setData(Object.assign({ state: 'ready' }, present(detail)))
      return this.loadPhotos(detail.wish.photos || [])
    },
    async loadPhotos(photos) {
      this.setData({ photos: await fetchPhotos(api, photos) })
    },
    async act(run, done) {
      if (this.data.busy) return
      this.setData({ busy: true })
      try {
        const detail = await run()
        wx.showToast({ title: done, icon: 'success' })
        await this.show(detail)
      } catch (error) {
        // shown by the request module
      }
      this.setData({ busy: false })
    },
    onClaim() {
      return this.act(() => api.claimWish(this.data.id), '认领成功')
    },
    async onRelease() {
      const { confirm } = await new Promise(resolve => wx.showModal({
        title: '放弃认领',
        content: '放弃后心愿将重新开放给其他同事认领，确定吗？',
        success: resolve,
        fail: () => resolve({ confirm: false }),
      }))
      if (!confirm) return
      await this.act(() => api.releaseWish(this.data.id), '已放弃认领')
    },
    async onChoosePhoto() {
      try {
        this.setData({ proofPhoto: await compress(await choosePhoto()) })
      } catch (error) {
        // the person closed the picker
      }
    },
    onNoteInput(e) {
      this.setData({ note: e.detail.value })
    },
    onSubmitProof() {
      const note = this.data.note.trim()
      if (!this.data.proofPhoto || !note) {
        wx.showToast({ title: '请选择照片并填写说明', icon: 'none' })
        return undefined
      }
      return this.act(() => api.submitProof(this.data.id, this.data.proofPhoto, note), '凭证已提交')
    },
    onPreview(e) {
      wx.previewImage({ current: e.currentTarget.dataset.src, urls: this.data.photos })
    },
  },
})
