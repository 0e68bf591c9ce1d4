// Picking one photo for an upload: the album or the camera, then compressed before it is sent.

function choosePhoto() {
  return new Promise((resolve, reject) => wx.chooseMedia({
    count: 1,
    mediaType: ['image'],
    sourceType: ['album', 'camera'],
    sizeType: ['compressed'],
    success: res => resolve(res.tempFiles[0].tempFilePath),
    fail: reject,
  }))
}

function compress(src) {
  return new Promise(resolve => wx.compressImage({
    src,
    quality: 70,
    compressedWidth: 1600,
    success: res => resolve(res.tempFilePath),
    fail: () => resolve(src),
  }))
}

// Every photo fetched with the token (the API's photo addresses need it); one that fails is left out.
async function fetchPhotos(api, photos) {
  const paths = []
  for (const photo of photos) {
    try {
      paths.push(await api.photo(photo.url))
    } catch (error) {
      // a photo that cannot be fetched is left out
    }
  }
  return paths
}

module.exports = { choosePhoto, compress, fetchPhotos }
