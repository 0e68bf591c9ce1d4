// 绑定: ties this WeChat account to one roster entry, by the phone number WeChat verifies where the
// backend offers it, else by name + 工号 (which the backend may route through an admin's approval).
const api = require('../../utils/api')
const { takeAfterBind } = require('../../utils/request')

Component({
  data: {
    state: 'loading',
    message: '',
    phone: false,
    nameMode: 'open',
    name: '',
    employeeNo: '',
    submitting: false,
    error: '',
    pending: false,
  },
  methods: {
    onLoad() {
      return this.load()
    },
    async load() {
      this.setData({ state: 'loading' })
      try {
        const options = await api.bindOptions()
        this.setData({ state: 'ready', phone: !!options.phone, nameMode: options.name || 'off' })
      } catch (error) {
        this.setData({ state: 'error', message: error.message })
      }
    },
    onNameInput(e) {
      this.setData({ name: e.detail.value })
    },
    onEmployeeNoInput(e) {
      this.setData({ employeeNo: e.detail.value })
    },
    async onPhone(e) {
      const code = e.detail && e.detail.code
      if (!code) {
        this.setData({ error: '未获得手机号授权。您可以再试一次，或用姓名和工号绑定。' })
        return
      }
      await this.submit(() => api.bindByPhone(code))
    },
    async onSubmitName() {
      const name = this.data.name.trim()
      const employeeNo = this.data.employeeNo.trim()
      if (!name || !employeeNo) {
        this.setData({ error: '请填写姓名和工号' })
        return
      }
      await this.submit(() => api.bindByName(name, employeeNo))
    },
    async submit(send) {
      if (this.data.submitting) return
      this.setData({ submitting: true, error: '' })
      try {
        const answer = await send()
        if (answer && answer.status === 'pending') {
          this.setData({ pending: true, submitting: false })
          return
        }
        this.setData({ submitting: false })
        wx.showToast({ title: '绑定成功', icon: 'success' })
        // Back to the page that needed the binding (a scanned sign-in code), else the home page.
        wx.reLaunch({ url: takeAfterBind() || '/pages/index/index' })
      } catch (error) {
        this.setData({ submitting: false, error: error.message })
      }
    },
  },
})
