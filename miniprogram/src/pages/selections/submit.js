// 投稿作品: for a 作品征集 in its 报名 phase, a title, a description and one compressed photo.
const api = require('../../utils/api')
const { choosePhoto, compress } = require('../../utils/media')

const TITLE_MAX = 100
const DESCRIPTION_MAX = 2000

Component({
  data: {
    id: null,
    title: '',
    description: '',
    photo: '',
    titleMax: TITLE_MAX,
    descriptionMax: DESCRIPTION_MAX,
    submitted: null,
    refusal: '',
    busy: false,
  },
  methods: {
    onLoad(options) {
      this.setData({ id: options.id })
    },
    onTitleInput(e) {
      this.setData({ title: e.detail.value, refusal: '' })
    },
    onDescriptionInput(e) {
      this.setData({ description: e.detail.value, refusal: '' })
    },
    async onChoosePhoto() {
      try {
        this.setData({ photo: await compress(await choosePhoto()), refusal: '' })
      } catch (error) {
        // the person closed the picker
      }
    },
    async onSubmit() {
      if (this.data.busy) return
      const title = this.data.title.trim()
      if (!title || !this.data.photo) {
        wx.showToast({ title: '请填写标题并选择照片', icon: 'none' })
        return
      }
      this.setData({ busy: true, refusal: '' })
      try {
        const entry = await api.submitWork(this.data.id, this.data.photo, title, this.data.description.trim())
        wx.showToast({ title: '作品已提交', icon: 'success' })
        this.setData({ submitted: entry })
      } catch (error) {
        this.setData({ refusal: error.message })
      }
      this.setData({ busy: false })
    },
    onBack() {
      wx.redirectTo({ url: `/pages/selections/detail?id=${this.data.id}` })
    },
  },
})
