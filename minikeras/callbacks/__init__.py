"""Callbacks: hooks into `fit` (``on_train_begin/end``, ``on_epoch_begin/end``, ``on_batch_begin/end``)."""
from .backup_and_restore import BackupAndRestore
from .base import Callback, CallbackList, registry
from .checkpoint import ModelCheckpoint
from .csv_logger import CSVLogger
from .early_stopping import EarlyStopping
from .history import History
from .lambda_callback import LambdaCallback
from .lr_scheduler import LearningRateScheduler
from .metrics_recorder import MetricsRecorder
from .progress import ProgbarLogger, ProgressBar
from .reduce_lr_on_plateau import ReduceLROnPlateau
from .remote_monitor import RemoteMonitor
from .swap_ema_weights import SwapEMAWeights
from .tensorboard import TensorBoard
from .terminate_on_nan import TerminateOnNaN

__all__ = ["Callback", "CallbackList", "History", "EarlyStopping", "ModelCheckpoint",
           "LearningRateScheduler", "MetricsRecorder", "CSVLogger", "TerminateOnNaN", "ProgressBar", "LambdaCallback",
           "ReduceLROnPlateau", "ProgbarLogger", "BackupAndRestore", "TensorBoard", "RemoteMonitor", "SwapEMAWeights",
           "registry"]
