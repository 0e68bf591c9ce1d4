// 我的整改: requirements I am responsible for, pending first; report one done with a photo and a note.
const api = require('../../utils/api')
const format = require('../../utils/format')
const { choosePhoto, compress } = require('../../utils/media')

function present(item) {
  return Object.assign({}, item, {
    label: item.status === 'pending' && item.returned_reason ? '已退回' : item.status_name,
    deadlineText: format.date(item.deadline),
  })
}

Component({
  data: { state: 'loading', message: '', items: [], openId: null, note: '', photo: '', busy: false, refusal: '' },
  methods: {
    onShow() {
      return this.load()
    },
    async load() {
      try {
        const answer = await api.myRectifications()
        this.setData({ state: answer.items.length ? 'ready' : 'empty', items: answer.items.map(present) })
      } catch (error) {
        this.setData({ state: 'error', message: error.message })
      }
    },
    onOpen(e) {
      this.setData({ openId: e.currentTarget.dataset.id, note: '', photo: '', refusal: '' })
    },
    onNote(e) {
      this.setData({ note: e.detail.value, refusal: '' })
    },
    async onPhoto() {
      try {
        this.setData({ photo: await compress(await choosePhoto()), refusal: '' })
      } catch (error) {
        // the person closed the picker
      }
    },
    async onSubmit() {
      if (this.data.busy) return
      const note = this.data.note.trim()
      if (!this.data.photo) {  // the upload carries the note with the photo
        this.setData({ refusal: '请拍摄或选择一张整改后的照片' })
        return
      }
      this.setData({ busy: true })
      try {
        await api.submitRectification(this.data.openId, this.data.photo, note)
        wx.showToast({ title: '已提交，等待验收', icon: 'success' })
        this.setData({ openId: null })
        await this.load()
      } catch (error) {
        this.setData({ refusal: error.message })
      }
      this.setData({ busy: false })
    },
  },
})
