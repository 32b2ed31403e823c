# The cluster's images, with kpin as the last step of every build.
#
#   packer build -only='qemu.*' -var base_image=debian-13-genericcloud-amd64.qcow2 packer/
#       builds hpc-compute and hpc-controller from a cloud image (the site's
#       provisioning goes in the provisioner below), then repairs each;
#   packer build -only=file.hpc-compute -var compute_image=built.qcow2 packer/
#       hands an image built elsewhere to the same post-processors.
#
# shell-local only gets PACKER_BUILD_NAME and PACKER_BUILDER_TYPE, so the
# manifest post-processor runs first and kpin finds the artifact in it. kpin
# repairs in place: the artifact Packer lists is then the repaired image.
# Any non-zero kpin exit fails the build (its class is in the report and in
# the one-line error), and Packer then deletes the artifact, so an image whose
# module does not build or that does not boot never ships.
#
# With -var cluster_file=/etc/kpin/cluster-hpc.conf (see images/), the build
# that finishes last also boots both repaired images together with
# `kpin cluster-test` (its relative image paths are output_dir's files): the
# builds run in parallel, so each one's last step takes a lock and runs the
# test only once both images' kpin reports say ok. A failed cluster test
# fails that build.

variable "base_image" {
  type        = string
  default     = "debian-13-genericcloud-amd64.qcow2"
  description = "Cloud image the qemu sources start from."
}
variable "compute_image" {
  type        = string
  default     = "hpc-compute.qcow2"
  description = "An image built elsewhere, for file.hpc-compute."
}
variable "controller_image" {
  type    = string
  default = "hpc-controller.qcow2"
}
variable "output_dir" {
  type    = string
  default = "output"
}
variable "profile_dir" {
  type        = string
  default     = "/etc/kpin/images"
  description = "Holds hpc-compute.conf and hpc-controller.conf (see images/)."
}
variable "kpin" {
  type    = string
  default = "kpin"
}
variable "cluster_file" {
  type        = string
  default     = ""
  description = "A kpin cluster file: boot both images together once both are repaired."
}
variable "kpin_args" {
  type        = string
  default     = ""
  description = "More kpin repair options, e.g. --packages DIR or --accel tcg."
}

source "qemu" "hpc-compute" {
  iso_url          = var.base_image
  iso_checksum     = "none"
  disk_image       = true
  format           = "qcow2"
  disk_size        = "6G"
  output_directory = "${var.output_dir}/qemu-hpc-compute"
  vm_name          = "hpc-compute.qcow2"
  headless         = true
  ssh_username     = "root"
  ssh_timeout      = "20m"
  shutdown_command = "shutdown -P now"
}

source "qemu" "hpc-controller" {
  iso_url          = var.base_image
  iso_checksum     = "none"
  disk_image       = true
  format           = "qcow2"
  disk_size        = "6G"
  output_directory = "${var.output_dir}/qemu-hpc-controller"
  vm_name          = "hpc-controller.qcow2"
  headless         = true
  ssh_username     = "root"
  ssh_timeout      = "20m"
  shutdown_command = "shutdown -P now"
}

source "file" "hpc-compute" {
  source = var.compute_image
  target = "${var.output_dir}/hpc-compute.qcow2"
}

source "file" "hpc-controller" {
  source = var.controller_image
  target = "${var.output_dir}/hpc-controller.qcow2"
}

build {
  sources = [
    "source.qemu.hpc-compute", "source.qemu.hpc-controller",
    "source.file.hpc-compute", "source.file.hpc-controller",
  ]

  provisioner "shell" {
    only   = ["qemu.hpc-compute", "qemu.hpc-controller"]
    inline = ["apt-get update", "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends dkms beegfs-client-dkms"]
  }

  post-processor "manifest" {
    output = "${var.output_dir}/manifest.json"
  }

  post-processor "shell-local" {
    inline = [
      "${var.kpin} repair --packer-manifest ${var.output_dir}/manifest.json --profile ${var.profile_dir}/$PACKER_BUILD_NAME.conf --in-place --report ${var.output_dir}/$PACKER_BUILD_NAME-kpin.json --junit ${var.output_dir}/$PACKER_BUILD_NAME-kpin.xml ${var.kpin_args}",
    ]
  }

  # the cluster test, by whichever build has both images repaired first
  post-processor "shell-local" {
    environment_vars = ["CLUSTER=${var.cluster_file}", "KPIN=${var.kpin}", "OUT=${var.output_dir}"]
    inline = [
      "[ -n \"$CLUSTER\" ] || exit 0",
      "exec 9>\"$OUT/.cluster-test.lock\" && flock 9",
      "for b in hpc-compute hpc-controller; do jq -e .ok \"$OUT/$b-kpin.json\" >/dev/null 2>&1 || { echo \"cluster test: waiting for $b\"; exit 0; }; done",
      "[ ! -e \"$OUT/cluster-test.json\" ] || exit 0",
      "$KPIN cluster-test \"$CLUSTER\" --images \"$OUT\" --report \"$OUT/cluster-test.json\" --junit \"$OUT/cluster-test.xml\" --serial-dir \"$OUT/cluster-test\"",
    ]
  }
}
